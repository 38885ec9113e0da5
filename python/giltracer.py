"""GilTracer's Python side: `%load_ext giltracer` (the IPython extension, giltracer_ipython.py) and `python -m giltracer …`.

In a checkout this is a module beside giltracer_ipython.py (put python/ on sys.path); the wheel installs it as
the `giltracer` package's __init__.py, with giltracer_ipython.py and giltracer_names.py inside the package.
"""
import os
import sys

try:
    from .giltracer_ipython import GilReportView, find_binary, load_ipython_extension, unload_ipython_extension, trace_cell  # noqa: F401
except ImportError:  # not a package: the checkout's python/ folder is on sys.path
    from giltracer_ipython import GilReportView, find_binary, load_ipython_extension, unload_ipython_extension, trace_cell  # noqa: F401


def main(argv=None):
    """Replaces this Python with the giltracer binary (exec): its signals, output and exit code are the binary's."""
    try:
        command = find_binary()
    except FileNotFoundError as e:
        sys.stderr.write("giltracer: error: %s\n" % e)
        sys.exit(1)
    os.execvp(command[0], command + list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
