//! PF106: A running subprocess is reachable from an object that is pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds `subprocess.Popen` objects, that is running child processes, reachable from an object
    /// that is pickled.
    ///
    /// ## Why is this bad?
    /// On Python 3 a `Popen` holds an internal lock, so every pickler fails: `TypeError: cannot
    /// pickle '_thread.lock' object` (3.6–3.7: `can't pickle _thread.lock objects`). Python 2.7's
    /// `Popen` had no lock and pickled, which is why this shows up after a port. Even then the copy
    /// was useless: only the process that started a child can wait for it, read its pipes and
    /// collect its exit status.
    ///
    /// ## Example
    /// ```python
    /// class FileCheck:
    ///     def __init__(self, path):
    ///         self.path = path
    ///         self.proc = subprocess.Popen(["cksum", path], stdout=subprocess.PIPE)
    ///
    /// conn.send(FileCheck(path))
    /// ```
    ///
    /// ## Use instead
    /// Let the process finish where it was started and send the result:
    /// ```python
    /// class FileCheck:
    ///     def __init__(self, path):
    ///         done = subprocess.run(["cksum", path], stdout=subprocess.PIPE, check=True)
    ///         self.path = path
    ///         self.output = done.stdout.decode()
    ///         self.returncode = done.returncode
    /// ```
    ///
    /// ## Fix safety
    /// The fix adds a `__getstate__` that puts `None` in place of the `Popen` in the pickled state.
    /// It is unsafe, so `picklefix fix` applies it only with `--unsafe-fixes`: code on the
    /// receiving side that calls `communicate()`, `wait()` or `poll()` on the attribute now fails
    /// with an `AttributeError` on `None`, and the process stays the parent's to wait for.
    pub static RULE = {
        code: "PF106",
        name: "subprocess-pickled",
        summary: "A running subprocess is reachable from an object that is pickled",
        check: Check::Reach,
    };
}
