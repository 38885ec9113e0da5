"""GilTracer's thread-name hook: each Python thread's native id and name, for the per-thread table.

Names go to a file as JSON lines [pid, native_id, name], one os.write each (atomic with O_APPEND, so every
process of a program can share one file); the last line for a tid wins. No per-call tracing: a few
microseconds per thread. Stdlib only, CPython 3.8+ (threading.get_native_id). Used by:
  site/sitecustomize.py  install(): every Python that `giltracer run` starts, children included;
  giltracer_boot.py      install(): the same, when no sitecustomize ran (a no-op when one did);
  giltracer_ipython.py   during(): the kernel's threads while a `%%giltracer` cell runs.
"""
import contextlib
import json
import os
import sys
import threading


class NameFile:
    """The names file, open for appending."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)

    def note(self, tid, name):
        if tid is None:
            return
        try:
            line = json.dumps([os.getpid(), tid, name]) + "\n"
            os.write(self.fd, line.encode("utf-8", "backslashreplace"))
        except Exception:
            pass  # a missing name is not worth breaking the program for

    def note_thread(self, thread):
        self.note(thread.native_id, thread.name)

    def note_all(self):
        for thread in threading.enumerate():
            self.note_thread(thread)

    def hook_threads(self):
        """Notes every thread started from now on, as it starts and as it ends; returns the undo."""
        original = threading.Thread._bootstrap_inner
        names = self

        def _bootstrap_inner(thread):
            names.note(threading.get_native_id(), thread.name)  # thread.native_id is only set inside the original
            try:
                original(thread)
            finally:
                names.note_thread(thread)  # the name may have changed while it ran

        threading.Thread._bootstrap_inner = _bootstrap_inner

        def unhook():
            threading.Thread._bootstrap_inner = original

        return unhook

    def close(self):
        os.close(self.fd)


@contextlib.contextmanager
def during(path):
    """Names this process's threads while the block runs: those alive at its start and end, and those it starts."""
    names = NameFile(path)
    names.note_all()
    unhook = names.hook_threads()
    try:
        yield names
    finally:
        unhook()
        names.note_all()
        names.close()


def install(path):
    """Names every thread of this process for the rest of its life, and those of the processes it forks.

    A multiprocessing child's main thread is noted under its process name (ForkProcess-1, SpawnPoolWorker-2,
    ...). Once per process (a forked child inherits it): later calls, and calls without a path, do nothing.
    """
    if not path or getattr(threading, "_giltracer_hooked", False):
        return
    threading._giltracer_hooked = True
    try:
        names = NameFile(path)
    except OSError:
        return
    names.hook_threads()
    names.note_thread(threading.main_thread())
    # After fork the forking thread is the child's main thread, with a new native id: asked of the kernel, as the
    # Thread object may still hold the parent's when this runs (pyenv's 3.8.18 to 3.13.0 here).
    os.register_at_fork(after_in_child=lambda: names.note(threading.get_native_id(), threading.current_thread().name))
    labelled = []  # the main thread got its multiprocessing name: keep it over "MainThread" at exit

    def at_exit():
        if not labelled:
            names.note_thread(threading.main_thread())

    import atexit
    atexit.register(at_exit)

    def patch_multiprocessing(module):
        bootstrap = module.BaseProcess._bootstrap

        def _bootstrap(self, *args, **kwargs):
            labelled.append(True)
            names.note(threading.get_native_id(), self.name)
            return bootstrap(self, *args, **kwargs)

        module.BaseProcess._bootstrap = _bootstrap

    if "multiprocessing.process" in sys.modules:
        patch_multiprocessing(sys.modules["multiprocessing.process"])
    else:
        sys.meta_path.insert(0, _MultiprocessingFinder(patch_multiprocessing))


class _MultiprocessingFinder:
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
