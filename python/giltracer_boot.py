"""GilTracer's bootstrap: runs the user's program unchanged, noting each thread's native id and name.

Usage (GilTracer builds this command line):
    python giltracer_boot.py script.py [args...]
    python giltracer_boot.py -m module [args...]
    python giltracer_boot.py -c code [args...]

The program runs as __main__ with its own sys.argv and sys.path[0], as without the tool. Thread names go
to the file named by GILTRACER_THREADS (giltracer_names.py; site/sitecustomize.py has usually installed it
already, in this process and in every child Python).
"""
import os
import runpy
import sys

import giltracer_names


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit("giltracer_boot: nothing to run")
    giltracer_names.install(os.environ.get("GILTRACER_THREADS"))
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
