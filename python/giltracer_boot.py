"""GilTracer's bootstrap: runs the user's program unchanged, noting each thread's native id and name.

Usage (GilTracer builds this command line):
    python giltracer_boot.py script.py [args...]
    python giltracer_boot.py -m module [args...]
    python giltracer_boot.py -c code [args...]

The program runs as __main__ with its own sys.argv and sys.path[0], as without the tool. Thread names go
to the file named by GILTRACER_THREADS (giltracer_names.py; site/sitecustomize.py has usually installed it
already, in this process and in every child Python).
"""
import builtins
import io
import os
import runpy
import sys
import types
import zipimport
from importlib.machinery import SourceFileLoader

import giltracer_names


def _hide_our_frames(skip_runpy):
    """Makes an uncaught exception's traceback the one plain python would print: without this file's frames, and
    without runpy's for a script or -c (a script's SyntaxError then shows no traceback at all, as under python).
    For -m python itself shows runpy's frames, so they stay."""
    ours = {main.__code__.co_filename}
    if skip_runpy:
        ours.add(runpy.run_path.__code__.co_filename)
    hook = sys.excepthook

    def excepthook(kind, value, tb):
        while tb is not None and tb.tb_frame.f_code.co_filename in ours:
            tb = tb.tb_next
        if value is not None:
            value.__traceback__ = tb
        hook(kind, value, tb)  # (a program that sets its own sys.excepthook replaces this one)

    sys.excepthook = excepthook


def _tie_to_perf():
    """Under `giltracer run` (perf started this process): die with perf, as perf dies with giltracer, so a SIGKILLed
    giltracer leaves nothing running; and join giltracer's process group, the terminal's foreground, so a Ctrl-C
    typed there reaches the program (perf has a group of its own and never sees it) and the program keeps the
    terminal. Done here, in the program's own process: a wrapper exec'd before python would leave its threads
    in the program's pid, seen by --state."""
    pgid = os.environ.pop("GILTRACER_PGID", None)
    if pgid:
        try:
            os.setpgid(0, int(pgid))
        except (OSError, ValueError):
            pass  # the group is gone (giltracer too): the check below ends us
    if os.environ.pop("GILTRACER_TIE", None) != "1":
        return
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
    except (ImportError, OSError, AttributeError):
        return  # no ctypes: not tied, nothing else changes
    try:  # perf died before the prctl: we have been handed to another parent
        with open("/proc/%d/comm" % os.getppid()) as f:
            orphaned = f.read().strip() != "perf"
    except OSError:
        orphaned = True
    if orphaned:
        os._exit(1)


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit("giltracer_boot: nothing to run")
    _tie_to_perf()
    giltracer_names.install(os.environ.get("GILTRACER_THREADS"))
    extra = os.environ.pop("GILTRACER_EXTRA_BOOT", None)
    if extra:  # further in-process instrumentation (function tracer), a module path
        runpy.run_path(extra, run_name="giltracer_extra")
    _hide_our_frames(skip_runpy=args[0] != "-m")
    if args[0] == "-m":
        # What `python -m` itself calls: the same sys.argv[0], error message for a missing module, and frames.
        sys.argv = [args[1]] + args[2:]
        sys.path[0] = os.getcwd()
        _fresh_main()
        runpy._run_module_as_main(args[1], alter_argv=True)
    elif args[0] == "-c":
        sys.argv = ["-c"] + args[2:]
        sys.path[0] = ""
        code = compile(args[1], "<string>", "exec")
        if sys.version_info >= (3, 13):  # python -c shows the code's lines in tracebacks from 3.13 on
            import linecache
            linecache.cache["<string>"] = (len(args[1]), None, args[1].splitlines(True), "<string>")
        exec(code, _fresh_main().__dict__)
    else:
        sys.argv = args
        sys.path[0] = os.path.dirname(os.path.abspath(args[0]))
        _run_script(args[0])


def _run_script(path):
    """Runs a script file as python does: in __main__ itself, with its __file__ (absolute since 3.9) and loader."""
    if os.path.isdir(path) or path.endswith((".pyc", ".pyo")) or _is_zip(path):
        runpy.run_path(path, run_name="__main__")  # a folder or zip with __main__.py, or compiled code
        return
    if sys.version_info >= (3, 9):
        path = os.path.abspath(path)
    with io.open_code(path) as f:
        source = f.read()
    main = _fresh_main()
    main.__file__, main.__cached__ = path, None
    main.__loader__ = SourceFileLoader("__main__", path)
    exec(compile(source, path, "exec"), main.__dict__)


def _is_zip(path):
    try:
        zipimport.zipimporter(path)
        return True
    except (zipimport.ZipImportError, OSError):
        return False


def _fresh_main():
    """A clean __main__ module for the program, as python gives it (this file's names stay out of its globals)."""
    module = types.ModuleType("__main__")
    module.__builtins__ = builtins  # the module, as in python's own __main__ (exec would insert its dict)
    if "__annotations__" in globals():  # the interpreter's own __main__ starts with one (not from 3.14 on)
        module.__annotations__ = {}
    sys.modules["__main__"] = module
    return module

if __name__ == "__main__":
    main()
