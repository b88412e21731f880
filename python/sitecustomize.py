"""picklefix tracer: loaded through PYTHONPATH by `picklefix trace`/`verify` (and in every child
process, which inherits the environment). It records every pickling failure with the attribute
path to the deepest value that cannot be pickled and the call in user code that pickled it.

Works on Python 3.6 to 3.13. Changes to the program's behaviour, on purpose and only these:
the start method is forced when PICKLEFIX_TRACE_START is set, and a multiprocessing queue's
put() pickles its item at once, so a failure raises in the caller instead of being printed and
dropped by the queue's feeder thread.
"""

import json
import os
import sys
import threading
import traceback

_OUT = os.environ.get("PICKLEFIX_TRACE_OUT")
_START = os.environ.get("PICKLEFIX_TRACE_START") or None
_HERE = os.path.dirname(os.path.abspath(__file__))
_lock = threading.Lock()
_state = threading.local()
_last_site = [None]


def _is_internal(filename):
    f = filename.replace("\\", "/")
    if f.startswith(_HERE.replace("\\", "/")):
        return True
    for part in ("/multiprocessing/", "/concurrent/futures/", "/pickle.py", "/copy.py", "/copyreg.py",
                 "/threading.py", "/queue.py", "/selectors.py", "/socket.py", "<frozen"):
        if part in f:
            return True
    return False


def _user_site():
    """The innermost frame of the stack that is not in the standard library's pickling code."""
    for frame in reversed(traceback.extract_stack()[:-1]):
        if not _is_internal(frame.filename):
            return {"path": os.path.relpath(frame.filename), "line": frame.lineno, "function": frame.name}
    return None


def _emit(event):
    if not _OUT:
        return
    event["pid"] = os.getpid()
    try:
        line = json.dumps(event, default=repr) + "\n"
        with _lock:
            with open(_OUT, "a") as fh:
                fh.write(line)
    except Exception:
        pass


# ---- finding the deepest value that cannot be pickled ----------------------------------------

def _probe_dumps(obj):
    import multiprocessing.reduction as reduction
    try:
        _ORIGINAL["fp_dumps"](obj)
        return None
    except Exception as e:  # noqa: BLE001 - any pickling failure counts
        return e


def _is_plain_process(obj):
    try:
        import multiprocessing.process as mpp
        return type(obj).__module__.startswith("multiprocessing") and isinstance(obj, mpp.BaseProcess)
    except Exception:
        return False


def _state_items(obj):
    """(segment, value) pairs of what pickling obj pickles, as far as we can tell."""
    import functools
    import types
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [("[*]", v) for v in obj]
    if isinstance(obj, dict):
        return [("[*]", v) for v in obj.values()]
    if isinstance(obj, types.MethodType):
        return [("", obj.__self__)]
    if isinstance(obj, functools.partial):
        return [("", obj.func)] + [("", a) for a in obj.args] + [("", v) for v in (obj.keywords or {}).values()]
    if _is_plain_process(obj):
        return [("", getattr(obj, "_target", None)), ("", getattr(obj, "_args", ())), ("", getattr(obj, "_kwargs", {}))]
    custom = getattr(type(obj), "__getstate__", None)
    if custom is not None and custom is not getattr(object, "__getstate__", None):
        try:
            state = obj.__getstate__()
        except Exception:
            return []
        if isinstance(state, dict):
            return [("." + str(k), v) for k, v in state.items()]
        if isinstance(state, tuple) and len(state) == 2 and all(s is None or isinstance(s, dict) for s in state):
            return [("." + str(k), v) for s in state if s for k, v in s.items()]
        return [("", state)]
    items = []
    if hasattr(obj, "__dict__") and not isinstance(obj, type):
        items.extend(("." + str(k), v) for k, v in vars(obj).items())
    for cls in type(obj).__mro__:
        for name in getattr(cls, "__slots__", ()) or ():
            if isinstance(name, str) and hasattr(obj, name) and name not in ("__dict__", "__weakref__"):
                items.append(("." + name, getattr(obj, name)))
    return items


_LIBRARY_DIRS = []


def _library_dirs():
    if not _LIBRARY_DIRS:
        import sysconfig
        paths = sysconfig.get_paths()
        for key in ("stdlib", "platstdlib", "purelib", "platlib"):
            if paths.get(key):
                _LIBRARY_DIRS.append(os.path.realpath(paths[key]))
    return _LIBRARY_DIRS


def _is_user_type(t):
    """A class from the program itself, not from the standard library or site-packages."""
    module = sys.modules.get(getattr(t, "__module__", "") or "")
    path = getattr(module, "__file__", None)
    if not path:
        return t.__module__ in ("__main__", "__mp_main__")
    path = os.path.realpath(path)
    return not any(path.startswith(d + os.sep) for d in _library_dirs()) and "site-packages" not in path


def _is_wrapper(obj):
    """Containers and multiprocessing's own envelopes: looked through, never a path root."""
    import functools
    import types
    if isinstance(obj, (list, tuple, set, frozenset, dict, types.MethodType, functools.partial)):
        return True
    module = getattr(type(obj), "__module__", "") or ""
    return module.startswith("multiprocessing") or module.startswith("concurrent.futures")


def _is_instance(obj):
    if isinstance(obj, type) or _is_wrapper(obj):
        return False
    return _is_user_type(type(obj)) and (hasattr(obj, "__dict__") or any(getattr(c, "__slots__", None) for c in type(obj).__mro__[:-1]))


def _deepest(obj, depth=0, seen=None):
    """The chain of (segment, value) from obj down to the deepest value that fails."""
    seen = seen if seen is not None else set()
    if depth > 12 or id(obj) in seen:
        return []
    # A library object that fails is the leaf: its insides are not the user's to fix.
    if depth > 0 and not _is_wrapper(obj) and not _is_instance(obj):
        return []
    seen.add(id(obj))
    for seg, child in _state_items(obj):
        if child is None or isinstance(child, (str, bytes, int, float, bool)):
            continue
        if _probe_dumps(child) is not None:
            return [(seg, child)] + _deepest(child, depth + 1, seen)
    return []


def _attribute_path(root, chain):
    path = None
    nodes = [("", root)] + chain
    for i, (seg, value) in enumerate(nodes):
        if path is None:
            if _is_instance(value) and i < len(nodes) - 1:
                path = type(value).__name__
            continue
        if seg:
            path += seg
    return path


def _type_name(value):
    t = type(value)
    return t.__qualname__ if t.__module__ == "builtins" else "%s.%s" % (t.__module__, t.__qualname__)


def _report(obj, exc, pickler, call, site=None):
    if getattr(_state, "busy", False):
        return
    _state.busy = True
    try:
        chain = _deepest(obj)
        leaf = chain[-1][1] if chain else obj
        _emit({
            "event": "pickle-error",
            "pickler": pickler,
            "call": call,
            "sink": site or _user_site() or _last_site[0],
            "attribute_path": _attribute_path(obj, chain),
            "type": _type_name(leaf),
            "exception": "%s: %s" % (type(exc).__name__, exc),
        })
    finally:
        _state.busy = False


def _report_load(exc, call):
    # Only lookups of what was pickled by reference fail here for pickling reasons; anything
    # else (a semaphore gone because the parent died) is a consequence, not a cause.
    if not isinstance(exc, (AttributeError, ImportError)):
        return
    _emit({
        "event": "unpickle-error",
        "pickler": "multiprocessing",
        "call": call,
        "sink": _last_site[0],
        "attribute_path": None,
        "type": None,
        "exception": "%s: %s" % (type(exc).__name__, exc),
        "in_child": True,
    })


# ---- patches ----------------------------------------------------------------------------------

_ORIGINAL = {}


def _remember_site(call):
    site = _user_site()
    if site is not None:
        site = dict(site, call=call)
        _last_site[0] = site
    return site


def _wrap_method(cls, name, call, before=None):
    original = getattr(cls, name, None)
    if original is None or getattr(original, "_picklefix", False):
        return

    def wrapper(self, *args, **kwargs):
        _remember_site(call)
        if before is not None:
            before(self, *args, **kwargs)
        return original(self, *args, **kwargs)

    wrapper._picklefix = True
    wrapper.__name__ = getattr(original, "__name__", name)
    wrapper.__doc__ = getattr(original, "__doc__", None)
    setattr(cls, name, wrapper)


def _install():
    import copy
    import pickle
    import multiprocessing
    import multiprocessing.reduction as reduction
    import multiprocessing.queues as queues
    import multiprocessing.pool as pool
    import multiprocessing.process as process
    import multiprocessing.connection as connection

    fp = reduction.ForkingPickler
    _ORIGINAL["fp_dumps"] = fp.dumps
    original_fp_loads = fp.loads

    def fp_dumps(obj, protocol=None):
        try:
            return _ORIGINAL["fp_dumps"](obj, protocol)
        except Exception as e:
            _report(obj, e, "multiprocessing", (_last_site[0] or {}).get("call", "multiprocessing"))
            raise

    def fp_loads(*args, **kwargs):
        try:
            return original_fp_loads(*args, **kwargs)
        except Exception as e:
            _report_load(e, "multiprocessing")
            raise

    fp.dumps = classmethod(lambda cls, obj, protocol=None: fp_dumps(obj, protocol))
    fp.loads = staticmethod(fp_loads)

    original_dump = reduction.dump

    def dump(obj, file, protocol=None):
        try:
            return original_dump(obj, file, protocol)
        except Exception as e:
            site = getattr(obj, "_picklefix_site", None)
            _report(obj, e, "process", "multiprocessing.Process.start", site)
            raise

    reduction.dump = dump

    # Unpickling in a spawned child (a function defined under the main guard fails here).
    original_load = pickle.load

    def load(*args, **kwargs):
        try:
            return original_load(*args, **kwargs)
        except Exception as e:
            if os.environ.get("PICKLEFIX_TRACE_CHILD") == "1" or "multiprocessing" in sys.modules:
                _report_load(e, "pickle.load")
            raise

    pickle.load = load

    for name, call in (("dumps", "pickle.dumps"), ("dump", "pickle.dump")):
        original = getattr(pickle, name)

        def make(original, call):
            def wrapper(obj, *args, **kwargs):
                if getattr(_state, "busy", False):
                    return original(obj, *args, **kwargs)
                try:
                    return original(obj, *args, **kwargs)
                except Exception as e:
                    _report(obj, e, "pickle", call, _user_site())
                    raise
            return wrapper

        setattr(pickle, name, make(original, call))

    original_deepcopy = copy.deepcopy

    def deepcopy(x, memo=None, _nil=[]):  # noqa: B006 - mirrors copy.deepcopy's signature
        if memo is not None or getattr(_state, "busy", False):
            return original_deepcopy(x, memo)
        try:
            return original_deepcopy(x)
        except Exception as e:
            _report(x, e, "deepcopy", "copy.deepcopy", _user_site())
            raise

    copy.deepcopy = deepcopy

    # Queue.put pickles in a feeder thread that only prints failures: pickle in the caller.
    def eager(self, obj, *args, **kwargs):
        site = _user_site()
        if site is None:
            return
        try:
            _ORIGINAL["fp_dumps"](obj)
        except Exception as e:
            _report(obj, e, "multiprocessing", "multiprocessing.Queue.put", dict(site, call="multiprocessing.Queue.put"))
            raise

    for cls in (queues.Queue, queues.JoinableQueue):
        _wrap_method(cls, "put", "multiprocessing.Queue.put", eager)
    _wrap_method(queues.SimpleQueue, "put", "multiprocessing.SimpleQueue.put")
    _wrap_method(connection.Connection, "send", "multiprocessing.connection.Connection.send")
    for name in ("map", "map_async", "imap", "imap_unordered", "starmap", "starmap_async", "apply", "apply_async"):
        _wrap_method(pool.Pool, name, "multiprocessing.Pool." + name)

    try:
        import concurrent.futures.process as cfp
        _wrap_method(cfp.ProcessPoolExecutor, "submit", "concurrent.futures.ProcessPoolExecutor.submit")
        _wrap_method(cfp.ProcessPoolExecutor, "map", "concurrent.futures.ProcessPoolExecutor.map")
    except Exception:
        pass

    # A Process is pickled at start(); the finding belongs where it was made.
    original_init = process.BaseProcess.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        site = _user_site()
        if site is not None:
            self._picklefix_site = dict(site, call="multiprocessing.Process(...)")

    process.BaseProcess.__init__ = init

    if _START:
        original_set = multiprocessing.set_start_method
        original_get = multiprocessing.get_context

        def set_start_method(method=None, force=False):
            return original_set(_START, force=True)

        def get_context(method=None):
            return original_get(_START)

        try:
            original_set(_START, force=True)
        except Exception:
            pass
        multiprocessing.set_start_method = set_start_method
        multiprocessing.get_context = get_context


def _chain_next_sitecustomize():
    """Load the sitecustomize this one hides, if the environment has one."""
    import importlib
    here = [p for p in sys.path if os.path.abspath(p or ".") == _HERE]
    for p in here:
        sys.path.remove(p)
    saved = sys.modules.pop("sitecustomize", None)
    try:
        importlib.import_module("sitecustomize")
    except ImportError:
        pass
    except Exception:
        traceback.print_exc()
    finally:
        sys.modules["sitecustomize"] = saved
        for p in here:
            sys.path.insert(0, p)


if _OUT:
    try:
        _install()
    except Exception:
        traceback.print_exc()
_chain_next_sitecustomize()
