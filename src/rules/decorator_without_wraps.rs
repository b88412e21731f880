//! PF205: A function whose decorator does not use `functools.wraps` is sent to another process.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds module-level functions sent to another process (a pool or executor task, a `Process`
    /// target under `spawn`/`forkserver`, a queue item, `pickle.dump`) whose decorator replaces
    /// them with a nested wrapper function that does not copy the wrapped function's name with
    /// `functools.wraps` (or `functools.update_wrapper`). Decorators from other packages, and
    /// decorators that return the function itself (registration), are not reported.
    ///
    /// ## Why is this bad?
    /// A function is pickled by module and `__qualname__`. After `@timed`, the module-level name
    /// `resize` holds `wrapper`, whose `__qualname__` is `timed.<locals>.wrapper`, and that name
    /// cannot be imported: `AttributeError: Can't pickle local object 'timed.<locals>.wrapper'`
    /// (3.13: `Can't get local object`; 2.7: `PicklingError: Can't pickle <type 'function'>:
    /// attribute lookup __builtin__.function failed`). It works under `fork` for `Process`
    /// targets, so code moving to `spawn` (macOS, Windows, Linux from Python 3.14) breaks here.
    /// With `functools.wraps(func)` the wrapper's `__qualname__` is `resize`, pickle finds the
    /// wrapper under that name, and the child re-applies the decorator when it imports the module.
    ///
    /// ## Example
    /// ```python
    /// def timed(func):
    ///     def wrapper(*args, **kwargs):
    ///         start = time.perf_counter()
    ///         try:
    ///             return func(*args, **kwargs)
    ///         finally:
    ///             log.info("%s took %.3fs", func.__name__, time.perf_counter() - start)
    ///     return wrapper
    ///
    /// @timed
    /// def resize(path): ...
    ///
    /// with multiprocessing.Pool() as pool:
    ///     pool.map(resize, paths)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def timed(func):
    ///     @functools.wraps(func)
    ///     def wrapper(*args, **kwargs):
    ///         ...
    ///     return wrapper
    /// ```
    ///
    /// ## Fix safety
    /// The fix adds `@functools.wraps(func)` above the wrapper (`func` is the decorator's first
    /// parameter) and `import functools` when it is missing. It is safe: calls behave the same;
    /// only the wrapper's metadata changes (`__name__`, `__qualname__`, `__doc__`, `__wrapped__`,
    /// and the wrapped function's `__dict__` entries copied onto it), which is what a wrapper is
    /// expected to show. A decorator with no parameter gets no fix.
    pub static RULE = {
        code: "PF205",
        name: "decorator-without-wraps",
        summary: "A function whose decorator does not use `functools.wraps` is sent to another process",
        check: Check::Reach,
    };
}
