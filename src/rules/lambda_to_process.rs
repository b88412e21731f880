//! PF201: A lambda is sent to another process.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds lambdas sent to another process: the function of `Pool.map`, `imap`, `starmap` or
    /// `apply(_async)`, of `ProcessPoolExecutor.submit` or `map`, a `Process` target or a
    /// `Pool`/`ProcessPoolExecutor` initializer when processes start with `spawn` or `forkserver`,
    /// and lambdas put on a queue, sent through a pipe or pickled directly. Thread pools
    /// (`ThreadPoolExecutor`, `multiprocessing.pool.ThreadPool`) pickle nothing and are not
    /// reported, and neither are `Process` targets under `fork`.
    ///
    /// ## Why is this bad?
    /// A function is pickled by name, and a lambda has none the receiver could import:
    /// `AttributeError: Can't pickle local object 'Crawler.crawl.<locals>.<lambda>'` (3.13: `Can't
    /// get local object`; 3.14 raises `PicklingError`), `PicklingError: Can't pickle <function
    /// <lambda> ...>: attribute lookup <lambda> on ... failed` for a lambda assigned at module
    /// level, and `Can't pickle <type 'function'>: attribute lookup __builtin__.function failed` on
    /// 2.7. `Pool.map` re-raises in the caller, but `apply_async` without `.get()` fails silently
    /// and `Queue.put` drops the item in its feeder thread. A lambda `Process` target works under
    /// `fork` and fails in `start()` under `spawn` (macOS, Windows) and `forkserver`, the Linux
    /// default from Python 3.14.
    ///
    /// ## Example
    /// ```python
    /// class Crawler:
    ///     def crawl(self, urls):
    ///         timeout = self.timeout
    ///         return self.pool.map(lambda url: fetch(url, timeout), urls)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// class Crawler:
    ///     def crawl(self, urls):
    ///         return self.pool.map(functools.partial(fetch, timeout=self.timeout), urls)
    /// ```
    ///
    /// ## Fix safety
    /// The fix moves the lambda to a module-level `def` with a fresh name and passes the local
    /// names it uses with `functools.partial` (`functools.partial(_crawl_lambda, timeout)`). It is
    /// safe when the lambda uses no local names and unsafe otherwise, so `picklefix fix` applies it
    /// then only with `--unsafe-fixes`: `partial` binds the values when it is created, not when the
    /// lambda would have run, and the bound values are pickled too, which can turn this finding
    /// into a PF1xx one. Lambdas with default arguments get no fix.
    pub static RULE = {
        code: "PF201",
        name: "lambda-to-process",
        summary: "A lambda is sent to another process",
        check: Check::Reach,
    };
}
