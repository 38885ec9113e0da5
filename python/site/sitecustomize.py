"""GilTracer's thread-name hook for every Python process of a traced program.

`giltracer run` puts this folder first on PYTHONPATH, so each Python started under it (the program, its
fork/spawn/forkserver children, `subprocess` Pythons) notes each thread's native id and name in the file named
by GILTRACER_THREADS: JSON lines [pid, native_id, name], one write each (atomic with O_APPEND). A child
process's main thread is noted under its multiprocessing name (ForkProcess-1, SpawnPoolWorker-2, ...).
No per-call tracing: a few microseconds per thread. Then the user's own sitecustomize (the next one on
sys.path) runs as it would without GilTracer. Kept Python-2-parseable so an old child Python stays silent.
"""
import os
import sys


def _giltracer_install():
    path = os.environ.get("GILTRACER_THREADS")
    if not path or sys.version_info < (3, 8):  # threading.get_native_id is 3.8+
        return
    import json
    import threading
    if getattr(threading, "_giltracer_hooked", False):
        return
    threading._giltracer_hooked = True
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError:
        return

    def note(tid, name):
        try:
            line = json.dumps([os.getpid(), tid, name]) + "\n"
            os.write(fd, line.encode("utf-8", "backslashreplace"))
        except Exception:
            pass

    def note_thread(thread):
        if thread.native_id is not None:
            note(thread.native_id, thread.name)

    original = threading.Thread._bootstrap_inner

    def _bootstrap_inner(self):
        note(threading.get_native_id(), self.name)  # self.native_id is only set inside the original
        try:
            original(self)
        finally:
            note_thread(self)  # the name may have changed while it ran

    threading.Thread._bootstrap_inner = _bootstrap_inner
    note_thread(threading.main_thread())
    # After fork the forking thread is the child's main thread, with a new native id.
    os.register_at_fork(after_in_child=lambda: note_thread(threading.current_thread()))
    labelled = []  # the main thread got its multiprocessing name: keep it over "MainThread" at exit

    def at_exit():
        if not labelled:
            note_thread(threading.main_thread())

    import atexit
    atexit.register(at_exit)

    def patch_multiprocessing(module):
        bootstrap = module.BaseProcess._bootstrap

        def _bootstrap(self, *args, **kwargs):
            labelled.append(True)
            note(threading.get_native_id(), self.name)
            return bootstrap(self, *args, **kwargs)

        module.BaseProcess._bootstrap = _bootstrap

    if "multiprocessing.process" in sys.modules:
        patch_multiprocessing(sys.modules["multiprocessing.process"])
    else:
        sys.meta_path.insert(0, _MultiprocessingFinder(patch_multiprocessing))


class _MultiprocessingFinder(object):
    """Patches multiprocessing.process when it is first imported, without importing it ourselves."""

    def __init__(self, patch):
        self.patch = patch

    def find_spec(self, name, path=None, target=None):
        if name != "multiprocessing.process":
            return None
        sys.meta_path.remove(self)
        import importlib.util
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        loader, patch = spec.loader, self.patch
        exec_module = loader.exec_module

        def patched_exec(module):
            exec_module(module)
            try:
                patch(module)
            except Exception:
                pass

        loader.exec_module = patched_exec
        return spec


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
_giltracer_chain()
