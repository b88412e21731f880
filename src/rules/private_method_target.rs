//! PF206: A method with a name-mangled private name (`self.__run`) is sent to another process.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds bound methods whose name starts with two underscores and does not end with them
    /// (`self.__run`) sent to another process: a `Process` target under `spawn`/`forkserver`, the
    /// function of a pool or executor task, a queue item, `pickle.dump(s)`.
    ///
    /// ## Why is this bad?
    /// Python stores `__run` in the class as `_Worker__run`, but a bound method is pickled as its
    /// instance plus the function's `__name__`, `__run`. Pickling works; loading calls
    /// `getattr(worker, "__run")`, which fails: the child exits with `AttributeError: 'Worker'
    /// object has no attribute '__run'` (checked with Python 3.11, 3.12 and 3.13 under `spawn`),
    /// and a pool task fails in the worker. `copy.deepcopy` copies methods another way and works.
    /// Under `fork` the target is not pickled, so the code breaks when it moves to macOS, Windows,
    /// or Linux with Python 3.14 (`forkserver`).
    ///
    /// ## Example
    /// ```python
    /// class Worker:
    ///     def __run(self):
    ///         ...
    ///
    ///     def start(self):
    ///         multiprocessing.Process(target=self.__run).start()
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// class Worker:
    ///     def _run(self):
    ///         ...
    ///
    ///     def start(self):
    ///         multiprocessing.Process(target=self._run).start()
    /// ```
    ///
    /// ## Fix safety
    /// There is no automatic fix: renaming a method changes the class's interface (subclasses
    /// may rely on the private name). Rename it to one leading underscore by hand.
    pub static RULE = {
        code: "PF206",
        name: "private-method-target",
        summary: "A method with a name-mangled private name is sent to another process",
        check: Check::Reach,
    };
}
