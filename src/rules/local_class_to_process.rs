//! PF203: An instance of a class defined inside a function is sent to another process.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds instances of classes defined inside a function (and such classes themselves) that are
    /// sent to another process or pickled: pool and executor task arguments, queue items, pipe
    /// messages, `Process` arguments under `spawn`/`forkserver`, `pickle.dump(s)`. A class nested
    /// in a module-level class (`Currency.Amount`) pickles by `__qualname__` on Python 3 and is not
    /// reported. An instance stored inside another pickled object is reported by PF108.
    ///
    /// ## Why is this bad?
    /// An instance is pickled with a reference to its class, and `load.<locals>.Row` cannot be
    /// imported: `AttributeError: Can't pickle local object 'load.<locals>.Row'` (3.13: `Can't get
    /// local object`; 3.14 raises `PicklingError`; 2.7: `PicklingError: Can't pickle <class
    /// '__main__.Row'>: attribute lookup __main__.Row failed`). `copy.deepcopy` of the same
    /// instance works, because copying keeps the class as it is. With `ProcessPoolExecutor` the
    /// error only appears in `future.result()`, and on 3.6 the future never completes.
    ///
    /// ## Example
    /// ```python
    /// def load(rows):
    ///     class Row:
    ///         def __init__(self, order_id, total):
    ///             self.order_id = order_id
    ///             self.total = total
    ///
    ///     with ProcessPoolExecutor() as ex:
    ///         return [ex.submit(total, Row(r["id"], r["total"])) for r in rows]
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// class Row:
    ///     def __init__(self, order_id, total):
    ///         self.order_id = order_id
    ///         self.total = total
    ///
    /// def load(rows):
    ///     with ProcessPoolExecutor() as ex:
    ///         return [ex.submit(total, Row(r["id"], r["total"])) for r in rows]
    /// ```
    ///
    /// ## Fix safety
    /// The fix moves the class to module level when its body reads no local variable of the
    /// enclosing function. It is safe: the class behaves the same, only its `__qualname__` changes
    /// and its `class` statement runs once at import instead of on every call. Decorated local
    /// classes, classes that read enclosing locals and classes whose name is already taken at
    /// module level get no fix.
    pub static RULE = {
        code: "PF203",
        name: "local-class-to-process",
        summary: "An instance of a class defined inside a function is sent to another process",
        check: Check::Reach,
    };
}
