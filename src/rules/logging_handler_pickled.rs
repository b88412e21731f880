//! PF104: A logging handler is reachable from an object that is pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds logging handlers (`FileHandler`, `StreamHandler`, and the rotating, watched, socket,
    /// syslog, queue, memory, HTTP and SMTP handlers of `logging.handlers`) reachable from an
    /// object that is pickled, and loggers that do not pickle on the target version: loggers built
    /// directly with `logging.Logger(name)` (3.7 and later) and loggers from `logging.getLogger`
    /// when the target is 2.7 or 3.6. A `getLogger` logger stored on an object is fine on 3.7+ and
    /// is not reported.
    ///
    /// ## Why is this bad?
    /// Every handler holds an `RLock`, and file and stream handlers an open stream, so all picklers
    /// fail: `TypeError: cannot pickle '_thread.RLock' object` (3.6–3.7: `can't pickle
    /// _thread.RLock objects`; 2.7: `can't pickle file objects`). Only `NullHandler` pickles. Since
    /// 3.7 a logger from `getLogger` pickles by name and unpickles as the receiver's logger of that
    /// name, but `logging.Logger("x")` is not registered under its name and raises `PicklingError:
    /// logger cannot be pickled`. On 2.7 and 3.6 loggers pickle by value: one with a handler fails
    /// on the handler's lock, one without arrives as a disconnected copy.
    ///
    /// ## Example
    /// ```python
    /// class Resizer:
    ///     def __init__(self, audit_path, size):
    ///         self.size = size
    ///         self.audit = logging.FileHandler(audit_path)
    ///
    /// worker = multiprocessing.Process(target=resize_all, args=(Resizer("audit.log", 128), paths))
    /// worker.start()  # spawn and forkserver pickle the arguments here
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// class Resizer:
    ///     def __init__(self, audit_path, size):
    ///         self.size = size
    ///         self.audit_path = audit_path
    ///         self.log = logging.getLogger("thumbs.audit")  # pickles by name
    ///
    /// def resize_all(resizer, paths):
    ///     resizer.log.addHandler(logging.FileHandler(resizer.audit_path))  # set up in the worker
    ///     for path in paths:
    ///         resizer.log.info("resized %s", path)
    /// ```
    ///
    /// ## Fix safety
    /// The fix adds `__getstate__`/`__setstate__` to the class that owns the attribute: the handler
    /// or logger is dropped from the state and created again in the receiving process by re-running
    /// the statement that made it, with the `set…`/`add…` calls on it that directly follow
    /// (`setFormatter`, `setLevel`, `addFilter`). It is unsafe, so `picklefix fix` applies it only
    /// with `--unsafe-fixes`: parent and child then write to the same file through separate
    /// handlers, so lines can interleave and rotating handlers rotate the file under each other,
    /// and configuration done anywhere else is not repeated.
    pub static RULE = {
        code: "PF104",
        name: "logging-handler-pickled",
        summary: "A logging handler is reachable from an object that is pickled",
        check: Check::Reach,
    };
}
