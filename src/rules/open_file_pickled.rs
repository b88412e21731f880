//! PF101: an open file reaches an object that a sink pickles.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds open files (`open()`, `io.open`, `gzip.open`, `csv.writer`, `zipfile.ZipFile`, a
    /// socket's `makefile()`, ...) stored somewhere inside an object that is pickled: put on a
    /// multiprocessing queue, sent through a pipe, given to a pool or executor, passed to a
    /// process started with `spawn`/`forkserver`, or given to `pickle.dump(s)`/`copy.deepcopy`.
    /// The finding names the attribute path from the pickled object to the file
    /// (`Job.reader.fh`), where the file is opened, and where the object is pickled.
    ///
    /// ## Why is this bad?
    /// File objects cannot be pickled in Python 3: the sink raises
    /// `TypeError: cannot pickle '_io.TextIOWrapper' object` (3.12+: `cannot pickle
    /// 'TextIOWrapper' instances`). A `multiprocessing.Queue.put` does not even raise: its feeder
    /// thread prints a traceback and drops the item, and `JoinableQueue.join()` then hangs.
    /// Python 2.7's multiprocessing sent files as closed shells without an error, which is why
    /// ported code breaks only after the move.
    ///
    /// ## Example
    /// ```python
    /// class LogReader:
    ///     def __init__(self, path):
    ///         self.path = path
    ///         self.fh = open(path)
    ///
    /// queue.put(Job(LogReader("app.log")))
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// class LogReader:
    ///     def __init__(self, path):
    ///         self.path = path
    ///         self.fh = open(path)
    ///
    ///     def __getstate__(self):
    ///         state = self.__dict__.copy()
    ///         del state["fh"]
    ///         return state
    ///
    ///     def __setstate__(self, state):
    ///         self.__dict__.update(state)
    ///         self.fh = open(self.path)
    /// ```
    ///
    /// ## Fix safety
    /// The fix adds `__getstate__`/`__setstate__` to the class that owns the file and reopens it
    /// from the stored path in the receiving process. It is unsafe, so `picklefix fix` applies it
    /// only with `--unsafe-fixes`: the child reads the file from the start instead of the parent's
    /// position, and a file opened for writing is reopened (and truncated again for mode `"w"`).
    pub static RULE = {
        code: "PF101",
        name: "open-file-pickled",
        summary: "An open file is reachable from an object that is pickled",
        check: Check::Reach,
    };
}
