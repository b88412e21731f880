//! PF202: A nested function is sent to another process.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds functions defined inside another function (closures included) that are sent to another
    /// process: the function of a pool or executor task, a `Process` target or an initializer under
    /// `spawn`/`forkserver`, or a function put on a queue, sent through a pipe or pickled directly.
    /// Calling a nested function inside the worker is fine and not reported; so is giving one to a
    /// thread pool.
    ///
    /// ## Why is this bad?
    /// Functions are pickled by module and `__qualname__`, and `check_range.<locals>.in_range`
    /// cannot be imported: `AttributeError: Can't pickle local object
    /// 'check_range.<locals>.in_range'` (3.13: `Can't get local object`; 3.14 raises
    /// `PicklingError`; 2.7: `PicklingError: Can't pickle <type 'function'>: attribute lookup
    /// __builtin__.function failed`). `copy.deepcopy` returns functions unchanged, so it does not
    /// reveal the problem. As with lambdas, a nested `Process` target only fails under `spawn` and
    /// `forkserver`, which Linux uses by default from Python 3.14.
    ///
    /// ## Example
    /// ```python
    /// def check_range(readings, low, high):
    ///     def in_range(reading):
    ///         return low <= reading <= high
    ///
    ///     with multiprocessing.Pool(2) as pool:
    ///         return pool.map(in_range, readings)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def in_range(low, high, reading):
    ///     return low <= reading <= high
    ///
    /// def check_range(readings, low, high):
    ///     with multiprocessing.Pool(2) as pool:
    ///         return pool.map(functools.partial(in_range, low, high), readings)
    /// ```
    ///
    /// ## Fix safety
    /// The fix moves the function to module level under a fresh name, adds the enclosing function's
    /// variables it reads as leading parameters, and binds them where it was defined (`in_range =
    /// functools.partial(_in_range, low, high)`). It is safe when the function reads no enclosing
    /// variables and unsafe otherwise, so `picklefix fix` applies it then only with
    /// `--unsafe-fixes`: the values are bound when `partial` is created, so later changes to those
    /// variables are no longer seen, and the values must pickle too. Decorated nested functions and
    /// functions with `global` statements get no fix.
    pub static RULE = {
        code: "PF202",
        name: "nested-function-to-process",
        summary: "A nested function is sent to another process",
        check: Check::Reach,
    };
}
