"""GilTracer's thread-name hook for every Python process of a traced program.

`giltracer run` puts this folder first on PYTHONPATH, so each Python started under it (the program, its
fork/spawn/forkserver children, `subprocess` Pythons) names its threads in the file named by GILTRACER_THREADS,
with ../giltracer_names.py (loaded by path: the folder above is not put on sys.path, the user's imports see
nothing of ours). Then the user's own sitecustomize (the next one on sys.path) runs as it would without
GilTracer. Kept Python-2-parseable so an old child Python stays silent.
"""
import os
import sys


def _giltracer_install():
    path = os.environ.get("GILTRACER_THREADS")
    if not path or sys.version_info < (3, 8):  # threading.get_native_id is 3.8+
        return
    import importlib.util
    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location("giltracer_names", os.path.join(os.path.dirname(here), "giltracer_names.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["giltracer_names"] = module  # one copy: giltracer_boot.py imports this one
    module.install(path)


def _giltracer_functions():
    """`run -- COMMAND` (no bootstrap of ours runs the program): the first Python of the command to start here loads the
    function tracer (GILTRACER_SITE_BOOT); creating its output folder is the claim, so siblings started later do not."""
    extra = os.environ.pop("GILTRACER_SITE_BOOT", None)
    directory = os.environ.get("GILTRACER_FUNCTIONS")
    if not extra or not directory:
        return
    try:
        os.mkdir(directory)
    except OSError:
        os.environ.pop("GILTRACER_FUNCTIONS", None)
        return
    import runpy
    runpy.run_path(extra, run_name="giltracer_extra")


def _giltracer_chain():
    """Runs the sitecustomize this one hides (the next on sys.path), as site.py would have."""
    if sys.version_info < (3, 4):
        return
    import importlib.machinery
    import importlib.util
    here = os.path.dirname(os.path.abspath(__file__))
    paths = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", paths)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


try:
    _giltracer_install()
except Exception:
    pass
try:
    _giltracer_functions()
except Exception:
    pass
_giltracer_chain()
