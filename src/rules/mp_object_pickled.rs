//! PF302: A pool, manager, executor or process object is pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds a process pool (`multiprocessing.Pool`), a `ProcessPoolExecutor`, a manager
    /// (`multiprocessing.Manager()`) or a `Process` object reachable from something that is
    /// pickled, typically an object that owns a pool and sends itself to the pool's workers
    /// (`pool.map(render_frame, [(self, f) for f in frames])`). Manager proxies (`manager.dict()`,
    /// `manager.Queue()`) pickle and are not reported; a bound method of the pool's owner is
    /// reported by PF204.
    ///
    /// ## Why is this bad?
    /// These objects drive threads and child processes of the parent and refuse to be copied:
    /// `NotImplementedError: pool objects cannot be passed between processes or pickled`,
    /// `TypeError: cannot pickle '_thread.lock' object` for an executor, and `TypeError: Pickling
    /// an AuthenticationString object is disallowed for security reasons` for a manager or a
    /// `Process` (a manager passed to a spawned `Process` fails on its own process handle instead:
    /// `cannot pickle 'weakref.ReferenceType' object`). A worker could not use them anyway: a pool
    /// belongs to the process that created it.
    ///
    /// ## Example
    /// ```python
    /// class RenderFarm:
    ///     def __init__(self, workers):
    ///         self.scale = 0.5
    ///         self.pool = multiprocessing.Pool(workers)
    ///
    ///     def render_all(self, frames):
    ///         return self.pool.map(render_frame, [(self, f) for f in frames])
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// class RenderFarm:
    ///     def __init__(self, workers):
    ///         self.settings = Settings(scale=0.5)  # plain data the workers need
    ///         self.pool = multiprocessing.Pool(workers)
    ///
    ///     def render_all(self, frames):
    ///         return self.pool.map(render_frame, [(self.settings, f) for f in frames])
    /// ```
    ///
    /// ## Fix safety
    /// There is no automatic fix: what the workers need instead of the pool's owner is a design
    /// decision (usually a small object with plain data). The finding's help suggests leaving the
    /// attribute out of the pickled state with `__getstate__`, which is right when the workers
    /// never use it.
    pub static RULE = {
        code: "PF302",
        name: "mp-object-pickled",
        summary: "A pool, manager, executor or process object is pickled",
        check: Check::Reach,
    };
}
