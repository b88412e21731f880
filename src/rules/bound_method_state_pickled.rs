//! PF204: A bound method is sent to another process but its instance holds state that cannot be pickled.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds bound methods (`self.run`, `counter.score`) sent to another process, as a `Process`
    /// target or initializer under `spawn`/`forkserver` or as the function of a pool or executor
    /// task, whose instance holds something that cannot be pickled: a file, a lock, a handler, a
    /// connection, anything the PF1xx rules report. The attribute path starts at the instance's
    /// class (`Probe.out`). A socket on the instance is not reported: multiprocessing's pickler
    /// carries it.
    ///
    /// ## Why is this bad?
    /// Python 3 pickles a bound method as its instance plus the method's name, so sending
    /// `self.run` pickles all of `self`: `Process(target=self.run).start()` fails with the
    /// attribute's error, e.g. `TypeError: cannot pickle '_io.TextIOWrapper' object`, and nothing
    /// in the message points at the method. Under `fork` the target is not pickled and the same
    /// code works, so it breaks when it moves to macOS or Windows, or to Linux with Python 3.14,
    /// whose default start method is `forkserver`. Python 2.7 could not pickle bound methods at all
    /// (`Can't pickle <type 'instancemethod'>`), which is why ported code often carries a
    /// `copy_reg` workaround.
    ///
    /// ## Example
    /// ```python
    /// class Probe:
    ///     def __init__(self, host, port):
    ///         self.host = host
    ///         self.sock = socket.create_connection((host, port))
    ///         self.out = self.sock.makefile("w")
    ///
    ///     def run(self):
    ///         self.out.write("ping %s\n" % self.host)
    ///
    ///     def start(self):
    ///         multiprocessing.Process(target=self.run).start()
    /// ```
    ///
    /// ## Use instead
    /// Send a module-level function and only the data it needs, and make the stream in the child:
    /// ```python
    /// def ping(sock, host):
    ///     with sock.makefile("w") as out:
    ///         out.write("ping %s\n" % host)
    ///
    /// class Probe:
    ///     def start(self):
    ///         multiprocessing.Process(target=ping, args=(self.sock, self.host)).start()
    /// ```
    ///
    /// ## Fix safety
    /// The fix is the one for the attribute's type (the PF1xx rule that names it): `__getstate__`
    /// and `__setstate__` on the instance's class that drop the attribute and recreate it in the
    /// child. It is unsafe, so `picklefix fix` applies it only with `--unsafe-fixes`: the method
    /// then runs on a copy whose handle was recreated (a file reopened, a new lock), and whatever
    /// the child changes on the instance never reaches the parent.
    pub static RULE = {
        code: "PF204",
        name: "bound-method-state-pickled",
        summary: "A bound method is sent to another process but its instance holds state that cannot be pickled",
        check: Check::Reach,
    };
}
