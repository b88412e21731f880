//! PF102: A lock, thread or thread queue is reachable from an object that is pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds thread synchronisation objects reachable from an object that is pickled: locks
    /// (`threading.Lock`, `RLock`, `Condition`, `Semaphore`, `BoundedSemaphore`, `Event`,
    /// `Barrier`), threads (`threading.Thread`, `Timer`, `threading.local`), thread queues
    /// (`queue.Queue`, `LifoQueue`, `PriorityQueue`, `SimpleQueue`), thread pools
    /// (`ThreadPoolExecutor`, `multiprocessing.pool.ThreadPool`) and their futures. The finding
    /// names the attribute path (`SimulationConfig._lock`), where the lock is created and where the
    /// object is pickled. Locks from `multiprocessing` are reported by PF301.
    ///
    /// ## Why is this bad?
    /// A lock wraps an operating-system lock that exists only in the current process, and plain
    /// `pickle`, `copy.deepcopy` and multiprocessing's pickler all refuse it, on every version:
    /// `TypeError: cannot pickle '_thread.lock' object` (`'_thread.RLock'` for `RLock` and
    /// `Condition`; 3.6–3.7: `can't pickle _thread.lock objects`; 2.7: `can't pickle lock
    /// objects`). The message names the lock, not the object that holds it. Depending on the sink
    /// it surfaces late or not at all: `Pool.apply_async` without `.get()` fails silently, and
    /// `multiprocessing.Queue.put` drops the item in its feeder thread with only a traceback on
    /// stderr.
    ///
    /// ## Example
    /// ```python
    /// class SimulationConfig:
    ///     def __init__(self, arrival_rate):
    ///         self.arrival_rate = arrival_rate
    ///         self._lock = threading.Lock()
    ///
    /// with multiprocessing.Pool(2) as pool:
    ///     result = pool.apply_async(simulate, (config, seed))
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// class SimulationConfig:
    ///     def __init__(self, arrival_rate):
    ///         self.arrival_rate = arrival_rate
    ///         self._lock = threading.Lock()
    ///
    ///     def __getstate__(self):
    ///         state = self.__dict__.copy()
    ///         del state["_lock"]
    ///         return state
    ///
    ///     def __setstate__(self, state):
    ///         self.__dict__.update(state)
    ///         self._lock = threading.Lock()
    /// ```
    /// A lock recreated this way only guards the worker's copy. To coordinate processes, hand a
    /// `multiprocessing.Lock` to the workers at start-up (`Pool(initializer=...,
    /// initargs=(lock,))`) or use a `Manager().Lock()`.
    ///
    /// ## Fix safety
    /// The fix adds `__getstate__`/`__setstate__` to the class that owns the attribute (or extends
    /// the existing ones): a lock, event or thread queue is dropped from the state and created
    /// again in `__setstate__` by re-running the statement that made it; a thread, thread pool or
    /// future is replaced by `None`. It is unsafe, so `picklefix fix` applies it only with
    /// `--unsafe-fixes`: the receiver gets a fresh, unlocked lock and an empty queue that have
    /// nothing to do with the parent's, and `copy.copy` of the object now gets a new lock instead
    /// of sharing the original.
    pub static RULE = {
        code: "PF102",
        name: "lock-pickled",
        summary: "A lock, thread or thread queue is reachable from an object that is pickled",
        check: Check::Reach,
    };
}
