//! PF105: A database connection or client is reachable from an object that is pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds database connections reachable from an object that is pickled: `sqlite3.connect(...)`
    /// connections and the cursors made from them (`.cursor()`, `.execute()`, `.executemany()`),
    /// and client types that a catalog file lists (`[catalog] extra` in `picklefix.toml`).
    ///
    /// ## Why is this bad?
    /// A connection wraps a native handle on an open database, with its transactions and locks, and
    /// no pickler copies it: `TypeError: cannot pickle 'sqlite3.Connection' object`
    /// (`'sqlite3.Cursor'` for a cursor; 3.6–3.7: `can't pickle sqlite3.Connection objects`).
    /// Python 2.7's multiprocessing sent connections and cursors without an error, as dead shells,
    /// so code ported from 2.7 breaks only on Python 3. SQLite itself warns against using a
    /// connection in any process other than the one that opened it.
    ///
    /// ## Example
    /// ```python
    /// class PriceRepository:
    ///     def __init__(self, db_path):
    ///         self.db_path = db_path
    ///         self.conn = sqlite3.connect(db_path)
    ///
    /// with ProcessPoolExecutor() as ex:
    ///     prices = list(ex.map(check, [repo] * len(skus), skus))
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// class PriceRepository:
    ///     def __init__(self, db_path):
    ///         self.db_path = db_path
    ///         self.conn = sqlite3.connect(db_path)
    ///
    ///     def __getstate__(self):
    ///         state = self.__dict__.copy()
    ///         del state["conn"]
    ///         return state
    ///
    ///     def __setstate__(self, state):
    ///         self.__dict__.update(state)
    ///         self.conn = sqlite3.connect(self.db_path)
    /// ```
    ///
    /// ## Fix safety
    /// The fix adds `__getstate__`/`__setstate__` to the class that owns the attribute: the
    /// connection (and cursors made from it) are dropped from the state and the statements that
    /// created them run again in the receiving process. It is unsafe, so `picklefix fix` applies it
    /// only with `--unsafe-fixes`: the worker gets a connection of its own, which does not see the
    /// parent's uncommitted changes, starts empty for a `":memory:"` database, and lacks settings
    /// made after `connect()` (`row_factory`, pragmas, attached databases); a recreated cursor
    /// starts over.
    pub static RULE = {
        code: "PF105",
        name: "database-connection-pickled",
        summary: "A database connection or client is reachable from an object that is pickled",
        check: Check::Reach,
    };
}
