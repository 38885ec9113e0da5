"""GilTracer's function tracer: who runs which Python (and C) function, per thread, on the monotonic clock.

Stdlib only, Python 3.8+. Started in-process by giltracer_boot.py (GILTRACER_EXTRA_BOOT points here and
GILTRACER_FUNCTIONS names the output directory), or by calling start(directory) before the program runs.

Output, in the directory:
  functions.bin          16-byte header b"GILFUNC1" + u32 record size (16) + u32 flags, then records
                         "<qII": time.monotonic_ns(), threading.get_native_id(), (id << 3) | kind.
                         kind 0 enter, 1 exit, 2 exit by exception, 3 GC start (id = generation),
                         4 GC stop (id = generation | collected << 2).
  functions.names.jsonl  JSON lines: {"k":"start",...}, {"k":"code","id":..,"name":..,"file":..,"line":..},
                         {"k":"thread","tid":..,"name":..}, {"k":"stats",...} at exit.
Records are buffered and written in chunks of at most CHUNK bytes (or every FLUSH_NS), so a program that
crashes (os._exit, SIGKILL) leaves a usable file up to its last chunk. A name line is written before any
record that uses its id. Clocks and tids are those of `perf record -k CLOCK_MONOTONIC`.
"""
import gc
import json
import os
import struct
import sys
import threading
import time
import types

RECORD = struct.Struct("<qII")
ENTER, EXIT, UNWIND, GC_START, GC_STOP = 0, 1, 2, 3, 4
CHUNK = 256 * 1024         # bytes buffered before a write (16384 records); each write releases the GIL
FLUSH_NS = 100_000_000     # and at least every 100 ms while events come
HEADER = b"GILFUNC1" + struct.pack("<II", RECORD.size, 0)

_state = None


class _Recorder:
    """Shared buffer and name table. Appends are single C calls (bytearray.extend) and so atomic under the
    GIL; one flusher at a time writes a prefix and deletes only that prefix, so appends during the write
    (os.write releases the GIL) are kept."""

    def __init__(self, directory):
        os.makedirs(directory, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND
        self.fd = os.open(os.path.join(directory, "functions.bin"), flags, 0o644)
        self.names_fd = os.open(os.path.join(directory, "functions.names.jsonl"), flags, 0o644)
        os.write(self.fd, HEADER)
        self.pid = os.getpid()
        self.buf = bytearray()
        self.flush_lock = threading.Lock()
        self.last_flush = time.monotonic_ns()
        self.next_id = 1
        self.code_ids = {}      # id(code or stable callable) -> cid; 0 = ignored (our own code)
        self.keep = []          # keeps keyed objects alive so their id() is never reused
        self.c_ids = {}         # (type, name) -> cid for short-lived bound builtin methods
        self.threads = {}       # native tid -> last name written
        self.written = 0        # record bytes written
        self.flushes = 0
        self.enabled = True

    def note(self, obj):
        if os.getpid() != self.pid:
            return  # a forked child, before our after-fork hook ran (threading's runs first): never write
        line = json.dumps(obj, ensure_ascii=True) + "\n"
        os.write(self.names_fd, line.encode("ascii"))

    def register_code(self, code):
        cid = self.next_id
        self.next_id += 1
        self.code_ids[id(code)] = cid
        self.keep.append(code)
        name = getattr(code, "co_qualname", None) or code.co_name
        self.note({"k": "code", "id": cid, "name": name, "file": code.co_filename,
                   "line": code.co_firstlineno})
        return cid

    def register_callable(self, c):
        """Id of a C-level callable. Stable objects (module functions, method descriptors, types) are keyed
        by identity; bound builtin methods (created per call) by (type of self, name)."""
        t = type(c)
        stable = True
        key = None
        try:
            if t is _builtin_type:
                s = c.__self__
                if s is not None and type(s) is not _module_type:
                    stable = False
                    key = (type(s), c.__name__)
                    name = type(s).__qualname__ + "." + c.__name__
                    mod = type(s).__module__
                else:
                    name = c.__qualname__
                    mod = c.__module__ or (s.__name__ if s is not None else None)
            elif isinstance(c, type):
                name, mod = c.__qualname__, c.__module__
            elif t in _descriptor_types:
                name, mod = c.__qualname__, getattr(c.__objclass__, "__module__", None)
            else:  # partials, callable instances: one id per type
                stable = False
                key = t
                name, mod = t.__qualname__ + ".__call__", t.__module__
        except Exception:
            stable, key, name, mod = False, t, getattr(t, "__qualname__", "?"), None
        if not stable:
            cid = self.c_ids.get(key)
            if cid is not None:
                return cid
        cid = self.next_id
        self.next_id += 1
        if stable:
            self.code_ids[id(c)] = cid
            self.keep.append(c)
        else:
            self.c_ids[key] = cid
        if mod and mod != "builtins":
            name = mod + "." + name
        self.note({"k": "code", "id": cid, "name": name, "file": "<built-in>", "line": 0})
        return cid

    def thread_name(self, tid, name):
        if self.threads.get(tid) != name:
            self.threads[tid] = name
            self.note({"k": "thread", "tid": tid, "name": name})

    def flush(self):
        if not self.flush_lock.acquire(False):
            return
        try:
            self.last_flush = time.monotonic_ns()
            n = len(self.buf)
            if n and self.fd is not None and os.getpid() == self.pid:
                view = memoryview(bytes(self.buf[:n]))
                while view:
                    view = view[os.write(self.fd, view):]
                self.flushes += 1
                self.written += n
            del self.buf[:n]
        finally:
            self.flush_lock.release()


_builtin_type = types.BuiltinFunctionType
_module_type = types.ModuleType
_descriptor_types = (types.MethodDescriptorType, types.WrapperDescriptorType, types.ClassMethodDescriptorType)
_function_type = types.FunctionType
_method_type = types.MethodType


def _profile_for_thread(rec, tid):
    """sys.setprofile callback of one thread (3.8-3.11): tid is bound, no lookup per event."""
    buf = rec.buf
    extend = buf.extend
    pack = RECORD.pack
    now = time.monotonic_ns
    code_ids = rec.code_ids

    def profile(frame, event, arg):
        if event == "call" or event == "return":
            code = frame.f_code
            cid = code_ids.get(id(code))
            if cid is None:
                cid = rec.register_code(code)
            kind = ENTER if event == "call" else EXIT
        elif event == "c_call" or event == "c_return" or event == "c_exception":
            cid = code_ids.get(id(arg))
            if cid is None:
                cid = rec.register_callable(arg)
            kind = ENTER if event == "c_call" else (EXIT if event == "c_return" else UNWIND)
        else:
            return
        if cid:
            t = now()
            extend(pack(t, tid, cid << 3 | kind))
            if len(buf) >= CHUNK or t - rec.last_flush > FLUSH_NS:
                rec.flush()

    return profile


def _start_setprofile(rec):
    def first_call(frame, event, arg):
        # runs in a new thread after threading registered it (so current_thread() is the real Thread)
        tid = threading.get_native_id()
        rec.thread_name(tid, threading.current_thread().name)
        profile = _profile_for_thread(rec, tid)
        sys.setprofile(profile)
        profile(frame, event, arg)

    threading.setprofile(first_call)
    sys.setprofile(_profile_for_thread(rec, threading.get_native_id()))
    return "setprofile", None


def _start_monitoring(rec):
    mon = sys.monitoring
    tool = None
    for candidate in (4, 3, 5, 1, 0, 2):  # avoid PROFILER_ID (2) first: cProfile uses it
        if mon.get_tool(candidate) is None:
            tool = candidate
            mon.use_tool_id(tool, "giltracer")
            break
    if tool is None:
        raise RuntimeError("no free sys.monitoring tool id")
    buf = rec.buf
    extend = buf.extend
    pack = RECORD.pack
    now = time.monotonic_ns
    # get_native_id() is a gettid syscall (~2 us here); get_ident() is pthread_self(). The map is refreshed
    # when a threading.Thread starts (name_hook), since an ident can be reused after its thread ended.
    get_ident = threading.get_ident
    native_ids = {}

    def native_id_slow():
        tid = native_ids[get_ident()] = threading.get_native_id()
        return tid

    code_ids = rec.code_ids
    DISABLE = mon.DISABLE

    # The record step is written out in each callback: a nested call per event would cost ~20 %.
    def py_enter(code, offset):
        cid = code_ids.get(id(code))
        if cid is None:
            cid = rec.register_code(code)
        if not cid:
            return DISABLE
        t = now()
        extend(pack(t, (native_ids.get(get_ident()) or native_id_slow()), cid << 3))  # ENTER
        if len(buf) >= CHUNK or t - rec.last_flush > FLUSH_NS:
            rec.flush()

    def py_throw(code, offset, exc):
        return py_enter(code, offset)

    def py_exit(code, offset, value):
        cid = code_ids.get(id(code))
        if cid is None:
            cid = rec.register_code(code)
        if not cid:
            return DISABLE
        t = now()
        extend(pack(t, (native_ids.get(get_ident()) or native_id_slow()), cid << 3 | EXIT))
        if len(buf) >= CHUNK or t - rec.last_flush > FLUSH_NS:
            rec.flush()

    def py_unwind(code, offset, exc):  # PY_UNWIND cannot be disabled per location
        cid = code_ids.get(id(code))
        if cid is None:
            cid = rec.register_code(code)
        if cid:
            extend(pack(now(), (native_ids.get(get_ident()) or native_id_slow()), cid << 3 | UNWIND))

    # C-level calls: CALL fires for every call, and Python functions get PY_START besides. A call site that
    # calls a Python function has CALL disabled (which also silences its C_RETURN/C_RAISE, so enters and
    # exits stay paired); the cost: a site that calls both kinds loses its later C calls.
    def call(code, offset, c, arg0):
        t = type(c)
        if t is _function_type or (t is _method_type and type(c.__func__) is _function_type):
            return DISABLE
        cid = code_ids.get(id(c))
        if cid is None:
            cid = rec.register_callable(c)
        t = now()
        extend(pack(t, (native_ids.get(get_ident()) or native_id_slow()), cid << 3))
        if len(buf) >= CHUNK or t - rec.last_flush > FLUSH_NS:
            rec.flush()

    def c_exit(code, offset, c, arg0, kind):
        t = type(c)
        if t is _function_type or (t is _method_type and type(c.__func__) is _function_type):
            return
        cid = code_ids.get(id(c))
        if cid is None:
            cid = rec.register_callable(c)
        extend(pack(now(), (native_ids.get(get_ident()) or native_id_slow()), cid << 3 | kind))

    def c_return(code, offset, c, arg0):
        c_exit(code, offset, c, arg0, EXIT)

    def c_raise(code, offset, c, arg0):
        c_exit(code, offset, c, arg0, UNWIND)

    E = mon.events
    for event, fn in ((E.PY_START, py_enter), (E.PY_RESUME, py_enter), (E.PY_THROW, py_throw),
                      (E.PY_RETURN, py_exit), (E.PY_YIELD, py_exit), (E.PY_UNWIND, py_unwind),
                      (E.CALL, call), (E.C_RETURN, c_return), (E.C_RAISE, c_raise)):
        mon.register_callback(tool, event, fn)
    mon.set_events(tool, E.PY_START | E.PY_RESUME | E.PY_THROW | E.PY_RETURN | E.PY_YIELD | E.PY_UNWIND
                   | E.CALL | E.C_RETURN | E.C_RAISE)

    def name_hook(frame, event, arg):
        # once per new thread, after threading registered it: note its name, then get out of the way
        sys.setprofile(None)
        tid = native_ids[get_ident()] = threading.get_native_id()
        rec.thread_name(tid, threading.current_thread().name)

    threading.setprofile(name_hook)
    return "monitoring", tool


def _gc_callback(phase, info):
    rec = _state
    if rec is None or not rec.enabled:
        return
    gen = info.get("generation", 0) & 3
    if phase == "start":
        word = gen << 3 | GC_START
    else:
        collected = min(info.get("collected", 0), (1 << 27) - 1)
        word = (gen | collected << 2) << 3 | GC_STOP
    rec.buf.extend(RECORD.pack(time.monotonic_ns(), threading.get_native_id(), word))


def _calibrate(rec, mode, tool):
    """Cost of tracing one event, measured in-process at exit: a loop of trivial calls with the tracer on minus
    the same loop with it off, the fastest of a few repetitions (other processes compete for the CPU).
    Recorded events are discarded, not written."""
    def f():
        pass

    def loop(n):
        t0 = time.perf_counter_ns()
        for _ in range(n):
            f()
        return time.perf_counter_ns() - t0

    n, reps = 2000, 7
    rec.flush()
    fd, rec.fd = rec.fd, None
    try:
        off = min(loop(n) for _ in range(reps))
        if mode == "setprofile":
            sys.setprofile(_profile_for_thread(rec, threading.get_native_id()))
            on = min(loop(n) for _ in range(reps))
            sys.setprofile(None)
        else:
            E = sys.monitoring.events
            sys.monitoring.set_events(tool, E.PY_START | E.PY_RETURN | E.CALL)
            on = min(loop(n) for _ in range(reps))
            sys.monitoring.set_events(tool, 0)
        del rec.buf[:]
        return max(0, (on - off)) / (2 * n)  # two recorded events per call
    finally:
        rec.fd = fd


def _finish():
    rec = _state
    if rec is None or not rec.enabled:
        return
    mode, tool = rec.mode, rec.tool
    rec.enabled = False
    threading.setprofile(None)
    sys.setprofile(None)
    if mode == "monitoring":
        sys.monitoring.set_events(tool, 0)
    rec.flush()
    for t in threading.enumerate():
        if t.native_id is not None:
            rec.thread_name(t.native_id, t.name)
    try:
        per_event = _calibrate(rec, mode, tool)
    except Exception:
        per_event = 0.0
    if mode == "monitoring":
        sys.monitoring.free_tool_id(tool)
    try:
        gc.callbacks.remove(_gc_callback)
    except ValueError:
        pass
    events = rec.written // RECORD.size
    rec.note({"k": "stats", "events": events, "flushes": rec.flushes, "codes": rec.next_id - 1,
              "est_ns_per_event": round(per_event, 1), "est_overhead_ns": int(per_event * events)})
    os.close(rec.fd)
    os.close(rec.names_fd)


def _after_fork_in_child():
    # the child must not write into the parent's files with its own ids: tracing stops there
    global _state
    rec = _state
    if rec is None:
        return
    rec.enabled = False
    threading.setprofile(None)
    sys.setprofile(None)
    if rec.mode == "monitoring":
        sys.monitoring.set_events(rec.tool, 0)
    try:
        gc.callbacks.remove(_gc_callback)
    except ValueError:
        pass
    os.close(rec.fd)
    os.close(rec.names_fd)
    _state = None


def start(directory):
    """Start tracing this process into directory. Returns the mode ("setprofile" or "monitoring")."""
    global _state
    if _state is not None:
        return _state.mode
    rec = _Recorder(directory)
    for fn in (_gc_callback, _finish, _calibrate, _Recorder.flush, _Recorder.note, _Recorder.register_code,
               _Recorder.register_callable, _Recorder.thread_name, _after_fork_in_child, start,
               _start_monitoring, _start_setprofile):
        rec.code_ids[id(fn.__code__)] = 0  # our own code is never recorded
        rec.keep.append(fn.__code__)
    _state = rec
    main = threading.main_thread()
    rec.note({"k": "start", "pid": os.getpid(), "python": sys.version.split()[0],
              "t0_ns": time.monotonic_ns(), "clock": "monotonic", "record_size": RECORD.size})
    rec.thread_name(main.native_id, main.name)
    gc.callbacks.append(_gc_callback)
    monitoring = sys.version_info >= (3, 12) and os.environ.get("GILTRACER_FUNCTIONS_MODE") != "setprofile"
    rec.note({"k": "mode", "mode": "monitoring" if monitoring else "setprofile"})
    rec.mode, rec.tool = _start_monitoring(rec) if monitoring else _start_setprofile(rec)
    import atexit
    atexit.register(_finish)
    os.register_at_fork(after_in_child=_after_fork_in_child)
    return rec.mode


def _start_from_env():
    directory = os.environ.pop("GILTRACER_FUNCTIONS", None)
    if not directory:
        return
    # run_path executes this file as a throw-away module; load it under a real module name so its
    # functions and state live as long as the program
    import importlib.util
    spec = importlib.util.spec_from_file_location("_giltracer_functions", __file__)
    module = importlib.util.module_from_spec(spec)
    sys.modules["_giltracer_functions"] = module
    spec.loader.exec_module(module)
    module.start(directory)


if __name__ == "giltracer_extra":
    _start_from_env()
