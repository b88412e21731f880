//! PF107: A generator is reachable from an object that is pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds generators (the result of calling a generator function, or a generator expression)
    /// stored in an object that is pickled, or pickled themselves: put on a queue, sent through a
    /// pipe, passed in `apply_async` arguments. A generator given as the iterable of `Pool.map`,
    /// `imap` or `executor.map` is not reported: the pool iterates it in the parent and pickles the
    /// items.
    ///
    /// ## Why is this bad?
    /// A generator is a suspended function frame, and no pickler can copy it, `copy.deepcopy`
    /// included: `TypeError: cannot pickle 'generator' object` (2.7–3.7: `can't pickle generator
    /// objects`). On a `multiprocessing.Queue` the item is dropped in the feeder thread while
    /// `put()` returns normally; if the program is about to exit nothing is printed at all, and on
    /// 2.7 and 3.6 a bounded queue also loses the slot for good. A worker that returns a generator
    /// fails with `MaybeEncodingError` in the caller.
    ///
    /// ## Example
    /// ```python
    /// def read_rows(path):
    ///     with open(path) as fh:
    ///         for line in fh:
    ///             yield line.rstrip("\n").split(",")
    ///
    /// class Batch:
    ///     def __init__(self, path):
    ///         self.rows = read_rows(path)
    ///
    /// queue.put(Batch("views.csv"))
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// class Batch:
    ///     def __init__(self, path):
    ///         self.path = path
    ///
    ///     def rows(self):
    ///         return read_rows(self.path)
    /// ```
    /// or keep the rows themselves: `self.rows = list(read_rows(path))`.
    ///
    /// ## Fix safety
    /// The fix stores the data instead of the generator: a generator expression becomes a list
    /// comprehension and a generator call is wrapped in `list(...)`. It is unsafe, so `picklefix
    /// fix` applies it only with `--unsafe-fixes`: every item is computed at once in the parent
    /// (memory, time and side effects move, and an endless generator never finishes), and the
    /// attribute becomes a list that can be indexed and iterated more than once.
    pub static RULE = {
        code: "PF107",
        name: "generator-pickled",
        summary: "A generator is reachable from an object that is pickled",
        check: Check::Reach,
    };
}
