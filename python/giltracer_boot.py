"""GilTracer's bootstrap: runs the user's program unchanged, noting each thread's native id and name.

Usage (GilTracer builds this command line):
    python giltracer_boot.py script.py [args...]
    python giltracer_boot.py -m module [args...]
    python giltracer_boot.py -c code [args...]

The program runs as __main__ with its own sys.argv and sys.path[0], as without the tool. Thread names go
to the file named by GILTRACER_THREADS as JSON lines [pid, native_id, name], one per thread start and
rename at exit; there is no per-call tracing, so the cost is a few microseconds per thread.
"""
import json
import os
import runpy
import sys
import threading

_out = None


def _note(thread, tid=None):
    if _out is None:
        return
    try:
        tid = tid or thread.native_id
        if tid is None:
            return
        line = json.dumps([os.getpid(), tid, thread.name]) + "\n"
        os.write(_out, line.encode("utf-8", "backslashreplace"))  # one write per line: atomic in O_APPEND mode
    except Exception:
        pass


def _install():
    global _out
    if getattr(threading, "_giltracer_hooked", False):
        return  # site/sitecustomize.py did it (and keeps GILTRACER_THREADS for child processes)
    path = os.environ.pop("GILTRACER_THREADS", None)
    if not path:
        return
    _out = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    original = threading.Thread._bootstrap_inner

    def _bootstrap_inner(self):
        _note(self, threading.get_native_id())  # self.native_id is only set inside the original
        try:
            original(self)
        finally:
            _note(self)  # the name may have changed while the thread ran

    threading.Thread._bootstrap_inner = _bootstrap_inner
    _note(threading.main_thread())
    import atexit
    atexit.register(lambda: _note(threading.main_thread()))


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit("giltracer_boot: nothing to run")
    _install()
    extra = os.environ.pop("GILTRACER_EXTRA_BOOT", None)
    if extra:  # further in-process instrumentation (function tracer), a module path
        runpy.run_path(extra, run_name="giltracer_extra")
    if args[0] == "-m":
        sys.argv = [args[1]] + args[2:]
        sys.path[0] = os.getcwd()
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    elif args[0] == "-c":
        sys.argv = ["-c"] + args[2:]
        sys.path[0] = ""
        code = compile(args[1], "<string>", "exec")
        main_module = sys.modules["__main__"]
        main_module.__dict__.pop("__file__", None)
        exec(code, main_module.__dict__)
    else:
        sys.argv = args
        sys.path[0] = os.path.dirname(os.path.abspath(args[0]))
        runpy.run_path(args[0], run_name="__main__")


if __name__ == "__main__":
    main()
