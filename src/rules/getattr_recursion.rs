//! PF110: An object whose `__getattr__` reads its own attributes is pickled: loading it recurses.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds objects sent to another process or pickled whose class defines `__getattr__` that
    /// reads an attribute of `self` (a wrapper delegating to `self.obj`, a config object reading
    /// `self.data[name]`) without first looking at the requested name, and has no `__setstate__`
    /// or `__reduce__` of its own.
    ///
    /// ## Why is this bad?
    /// Pickling works, so the bug shows only where the object is loaded: in the worker, or in the
    /// next run that reads the file. Unpickling rebuilds the object without calling `__init__` and
    /// asks it for `__setstate__`; that lookup reaches `__getattr__`, which reads `self.obj`, which
    /// does not exist yet, which calls `__getattr__` again: `RecursionError: maximum recursion
    /// depth exceeded` (2.7: `RuntimeError`). `copy.deepcopy` fails the same way on Python 3. A
    /// pool worker dies on the task, and `Pool.map` can wait forever.
    ///
    /// ## Example
    /// ```python
    /// class Traced:
    ///     def __init__(self, target):
    ///         self.target = target
    ///
    ///     def __getattr__(self, name):
    ///         return getattr(self.target, name)
    ///
    /// pool.map(run, [Traced(job) for job in jobs])
    /// ```
    ///
    /// ## Use instead
    /// ```python
    ///     def __getattr__(self, name):
    ///         if name in ("target",):
    ///             raise AttributeError(name)
    ///         return getattr(self.target, name)
    /// ```
    ///
    /// ## Fix safety
    /// The fix adds that guard for the attributes `__getattr__` reads from `self`. It is safe:
    /// `__getattr__` only runs for attributes normal lookup did not find, so the guard changes
    /// nothing while they exist; when they are missing the old code recursed until it crashed,
    /// and now raises `AttributeError`, which is what unpickling expects.
    pub static RULE = {
        code: "PF110",
        name: "getattr-recursion",
        summary: "An object whose `__getattr__` reads its own attributes is pickled: loading it recurses",
        check: Check::Reach,
    };
}
