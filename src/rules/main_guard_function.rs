//! PF502: A function or class defined under the main guard is sent to a spawned process.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds functions defined inside the `if __name__ == "__main__":` block that are sent to
    /// worker processes (the function of a pool or executor task, a `Process` target, an
    /// initializer), and classes defined there whose instances (or the class itself) are sent,
    /// when processes start with `spawn` or `forkserver`. Under `fork` the child is a copy of the
    /// parent and already has them, so nothing is reported.
    ///
    /// ## Why is this bad?
    /// The function pickles fine, by name, as `__main__.shout` (an instance refers to its class the
    /// same way). But a `spawn` or `forkserver` child imports the main module as `__mp_main__`
    /// without running the guarded block, so the name does not exist there and unpickling fails in
    /// the child: `AttributeError: Can't get attribute
    /// 'shout' on <module '__mp_main__' from 'main.py'>`. Nothing is raised in the parent:
    /// `Pool.map` hangs forever and a `Process` child exits with code 1, with only a traceback on
    /// stderr. Linux switches from `fork` to `forkserver` by default in Python 3.14, so code that
    /// worked there for years starts to hang.
    ///
    /// ## Example
    /// ```python
    /// if __name__ == "__main__":
    ///     def shout(text):
    ///         return text.upper()
    ///
    ///     with multiprocessing.Pool(2) as pool:
    ///         print(pool.map(shout, sys.argv[1:]))
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def shout(text):
    ///     return text.upper()
    ///
    /// if __name__ == "__main__":
    ///     with multiprocessing.Pool(2) as pool:
    ///         print(pool.map(shout, sys.argv[1:]))
    /// ```
    ///
    /// ## Fix safety
    /// The fix moves the function to module level above the guard (under a fresh name that the
    /// guarded block binds to the old one); a class moves above the guard under its own name when
    /// its body reads nothing defined only in the guard. It is safe: under `fork` the program does what it did
    /// before, and under `spawn`/`forkserver` the child can now find the function. Names the
    /// function reads that are only assigned inside the guard are still missing in the child, where
    /// the call then fails with `NameError`; pass those values as arguments.
    pub static RULE = {
        code: "PF502",
        name: "main-guard-function",
        summary: "A function or class defined under the main guard is sent to a spawned process",
        check: Check::Reach,
    };
}
