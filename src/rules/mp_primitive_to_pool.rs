//! PF301: A multiprocessing queue or lock is sent where only inheritance can take it.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds multiprocessing queues and synchronisation objects (`Queue`, `JoinableQueue`,
    /// `SimpleQueue`, `Lock`, `RLock`, `Semaphore`, `BoundedSemaphore`, `Condition`, `Event`,
    /// `Barrier`, `Value`, `Array`, from the module or from a context such as
    /// `get_context("spawn")`) sent where they are pickled while the program runs: pool and
    /// executor task arguments, items on a queue, pipe messages, `pickle.dump(s)`. Passing them in
    /// `Process(args=...)` or `Pool(initializer=..., initargs=...)` is inheritance, works under
    /// every start method, and is not reported.
    ///
    /// ## Why is this bad?
    /// These objects are backed by operating-system semaphores and pipes that a child can only
    /// inherit when it is created. Pickled at any other time they raise `RuntimeError: Queue
    /// objects should only be shared between processes through inheritance` (named after the
    /// underlying class: `JoinableQueue`, `Lock`, `Synchronized` for a `Value`,
    /// `SynchronizedArray`, and `Condition` for an `Event`), under every start method, `fork`
    /// included, and on every version. `Pool.map` raises in the caller; put on a
    /// `multiprocessing.Queue`, the object is dropped in the feeder thread with only a traceback on
    /// stderr.
    ///
    /// ## Example
    /// ```python
    /// progress = multiprocessing.Queue()
    /// with multiprocessing.Pool(2) as pool:
    ///     pool.map(mirror, [(folder, progress) for folder in folders])
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// with multiprocessing.Manager() as manager:
    ///     progress = manager.Queue()  # a proxy, which pickles
    ///     with multiprocessing.Pool(2) as pool:
    ///         pool.map(mirror, [(folder, progress) for folder in folders])
    /// ```
    /// or hand the queue to each worker once, at start-up: `multiprocessing.Pool(2,
    /// initializer=init_worker, initargs=(progress,))`.
    ///
    /// ## Fix safety
    /// The fix creates the object from a manager instead: `multiprocessing.Queue()` becomes
    /// `multiprocessing.Manager().Queue()` (likewise `Lock()`, `Event()`, `Value(...)`), when it is
    /// created as `module.Queue()` or `ctx.Queue()`; a bare `Queue()` imported by name gets no fix.
    /// It is unsafe, so `picklefix fix` applies it only with `--unsafe-fixes`: the manager starts a
    /// server process, every `put`, `get` or `acquire` becomes a round trip to it, and proxies lack
    /// some methods of the originals (`close()`, `join_thread()`).
    pub static RULE = {
        code: "PF301",
        name: "mp-primitive-to-pool",
        summary: "A multiprocessing queue or lock is sent where only inheritance can take it",
        check: Check::Reach,
    };
}
