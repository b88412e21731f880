//! PF103: A socket or selector is reachable from an object that a plain pickler pickles.

use super::Check;

crate::declare_rule! {
    /// ## What it does
    /// Finds sockets (`socket.socket`, `socket.create_connection`, `create_server`, `fromfd`, both
    /// ends of `socketpair()`) reachable from an object that a plain pickler pickles:
    /// `pickle.dump(s)`, a `Pickler`, or `copy.deepcopy`. Selectors and poll objects
    /// (`selectors.DefaultSelector` and the other selectors, `select.epoll`, `poll`, `kqueue`) and
    /// SSL contexts are reported whatever the pickler. A socket sent through multiprocessing
    /// (queues, pipes, pools, executors, `Process` arguments under spawn) is not reported: on
    /// Python 3 multiprocessing's pickler duplicates the descriptor into the receiving process
    /// (2.7's could not, so `target-version = "2.7"` reports those too).
    ///
    /// ## Why is this bad?
    /// `pickle.dumps(sock)` and `copy.deepcopy(sock)` raise `TypeError: cannot pickle 'socket'
    /// object` (3.6–3.7: `Cannot serialize socket object`), and a pickled socket would be useless
    /// anyway: a descriptor number means nothing in another process or after a restart. Selectors
    /// fail everywhere with `cannot pickle 'select.epoll' object` and SSL contexts with `cannot
    /// pickle 'SSLContext' object`. The file object returned by `sock.makefile()` is an open file:
    /// it is reported by PF101 even where the socket itself would cross.
    ///
    /// ## Example
    /// ```python
    /// class Session:
    ///     def __init__(self, host, port):
    ///         self.host, self.port = host, port
    ///         self.conn = socket.create_connection((host, port))
    ///
    /// cache.write(pickle.dumps(Session("db.internal", 5432)))
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// class Session:
    ///     def __init__(self, host, port):
    ///         self.host, self.port = host, port
    ///         self.conn = socket.create_connection((host, port))
    ///
    ///     def __getstate__(self):
    ///         return {"host": self.host, "port": self.port}
    ///
    ///     def __setstate__(self, state):
    ///         self.__init__(state["host"], state["port"])
    /// ```
    /// To hand an open socket to another process, send it through multiprocessing instead of
    /// pickling it yourself.
    ///
    /// ## Fix safety
    /// The fix adds `__getstate__`/`__setstate__` to the class that owns the attribute: the socket,
    /// selector or context is dropped from the state and the statement that created it runs again
    /// in `__setstate__`, after storing the arguments it needs (`self.host = host`) on the object.
    /// It is unsafe, so `picklefix fix` applies it only with `--unsafe-fixes`: the copy opens a new
    /// connection (a new session for the server), and of the calls made on the socket afterwards
    /// only `set…`/`add…` calls that directly follow its creation are repeated, so a `bind()` or
    /// `connect()` is lost.
    pub static RULE = {
        code: "PF103",
        name: "socket-pickled",
        summary: "A socket or selector is reachable from an object that a plain pickler pickles",
        check: Check::Reach,
    };
}
