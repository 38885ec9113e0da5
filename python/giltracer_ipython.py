"""IPython/Jupyter extension: `%%giltracer` traces the GIL while a cell runs, in the kernel's own process.

    %load_ext giltracer          # with the wheel installed (pip install giltracer-….whl); in a checkout, put
                                 # python/ on the path first: import sys; sys.path.insert(0, "/path/to/GilTracer/python")

    %%giltracer [-o DIR] [--no-html] [--state] [--binary PATH]
    ... the cell ...

It starts `giltracer attach <this pid> --ready-file F`, waits until the probes are live, runs the cell, stops
the recording with SIGINT and shows the per-thread table and the HTML report (when there is one) inline.
Python thread names (threading.enumerate() and threads started during the cell, by native_id; written by
giltracer_names.py beside this file) are passed with --names. Files stay in DIR (default
giltracer-ipython/cell-N). perf and uprobes need root: the kernel runs as root, or `sudo -n` must be allowed
to run giltracer. The binary: --binary, $GILTRACER_BIN, the `giltracer` command of the environment this Python
runs in (where pip installs the wheel's), `giltracer` on PATH, or this checkout's build.
Plain Python: stdlib + IPython only.
"""
import argparse
import html
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
import time

try:
    from . import giltracer_names
except ImportError:  # not a package: the checkout's python/ folder is on sys.path
    import giltracer_names

__all__ = ["load_ipython_extension", "unload_ipython_extension", "GilReportView"]

READY_TIMEOUT_S = 120


def find_binary(explicit=None):
    """The giltracer command (a list): --binary, $GILTRACER_BIN, this environment's bin/, PATH, then a checkout's builds."""
    for candidate in (explicit, os.environ.get("GILTRACER_BIN")):
        if candidate:
            return shlex.split(candidate)  # may carry arguments: "dotnet /path/giltracer.dll"
    # pip puts the wheel's binary beside this environment's python (a venv's bin/, whether activated or not)
    for scripts in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        installed = os.path.join(scripts, "giltracer")
        if scripts and os.path.isfile(installed) and os.access(installed, os.X_OK):
            return [installed]
    on_path = shutil.which("giltracer")
    if on_path:
        return [on_path]
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    builds = [os.path.join(repo, ".artifacts", "giltracer", "giltracer")]  # ./giltracer's Native AOT build
    builds += [os.path.join(repo, "src", "GilTracer", "bin", c, "net10.0", "giltracer") for c in ("Release", "Debug")]
    built = [b for b in builds if os.path.exists(b)]
    if built:
        return [max(built, key=os.path.getmtime)]
    raise FileNotFoundError("giltracer binary not found: install the wheel into this environment (pip install "
                            "giltracer-….whl), put giltracer on PATH, set GILTRACER_BIN, or pass --binary PATH")


class GilReportView:
    """The result shown under the cell: a text table in terminals, an HTML table and the report in notebooks."""

    def __init__(self, folder, summary, report_path=None, messages=""):
        self.folder = folder
        self.summary = summary
        self.report_path = report_path
        self.messages = messages

    def _rows(self):
        multi = len({t["pid"] for t in self.summary.get("threads", [])}) > 1
        head = (["pid"] if multi else []) + ["tid", "thread", "total (ms)", "no GIL %", "has GIL %", "GIL wait %"]
        rows = []
        for t in self.summary.get("threads", []):
            row = [str(t["pid"])] if multi else []
            row += [("%d*" if t.get("is_main") else "%d") % t["tid"], t.get("name", ""),
                    "%.1f" % (t["total_ns"] / 1e6), "%.1f" % t["no_gil_pct"], "%.1f" % t["has_gil_pct"],
                    "%.1f" % t["gil_wait_pct"]]
            rows.append(row)
        return head, rows

    def _gil_lines(self):
        return ["GIL of pid %d: held %.1f %%, %d acquisitions, wait p50 %.3f ms, p99 %.3f ms, max %.3f ms" % (
            g["pid"], g["held_pct"], g["acquisitions"], g["wait_p50_ns"] / 1e6, g["wait_p99_ns"] / 1e6,
            g["wait_max_ns"] / 1e6) for g in self.summary.get("gils", [])]

    def __repr__(self):
        head, rows = self._rows()
        widths = [max(len(str(c)) for c in col) for col in zip(head, *rows)]
        name_col = head.index("thread")

        def fmt(row):
            return "  ".join(str(c).ljust(w) if i == name_col else str(c).rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths)))

        lines = [fmt(head), "  ".join("-" * w for w in widths)] + [fmt(r) for r in rows]
        lines += ["* main thread"] + self._gil_lines()
        lines += ["warning: " + w for w in self.summary.get("warnings", [])]
        lines.append("files in " + self.folder)
        return "\n".join(lines)

    def _repr_html_(self):
        head, rows = self._rows()
        esc = html.escape
        table = "<table><thead><tr>%s</tr></thead><tbody>%s</tbody></table>" % (
            "".join("<th>%s</th>" % esc(h) for h in head),
            "".join("<tr>%s</tr>" % "".join("<td>%s</td>" % esc(str(c)) for c in r) for r in rows))
        parts = [table, "<p>%s</p>" % "<br>".join(esc(l) for l in ["* main thread"] + self._gil_lines())]
        parts += ["<p style='color:#b60'>warning: %s</p>" % esc(w) for w in self.summary.get("warnings", [])]
        if self.report_path and os.path.exists(self.report_path):
            with open(self.report_path, encoding="utf-8") as f:
                doc = f.read()
            # srcdoc keeps the report self-contained (no file server needed); escaped as an attribute value.
            parts.append('<iframe srcdoc="%s" style="width:100%%;height:640px;border:1px solid #ccc"></iframe>'
                         % esc(doc, quote=True))
        parts.append("<p><small>files in <code>%s</code></small></p>" % esc(self.folder))
        return "".join(parts)


def _parser():
    p = argparse.ArgumentParser(prog="%%giltracer", add_help=False)
    p.add_argument("-o", "--output", help="folder for the outputs (default giltracer-ipython/cell-N)")
    p.add_argument("--binary", help="the giltracer executable")
    p.add_argument("--no-html", action="store_true")
    p.add_argument("--state", action="store_true", help="also record kernel thread states (when supported)")
    p.add_argument("--verbose", action="store_true", help="show giltracer's own messages")
    return p


def trace_cell(shell, line, cell):
    """Runs `cell` in `shell` while `giltracer attach` records this process; returns a GilReportView (or None)."""
    args = _parser().parse_args(shlex.split(line))
    folder = os.path.abspath(args.output or os.path.join(
        "giltracer-ipython", "cell-%s" % (getattr(shell, "execution_count", None) or int(time.time()))))
    os.makedirs(folder, exist_ok=True)
    ready = os.path.join(folder, "ready")
    names = os.path.join(folder, "names.jsonl")
    for stale in (ready, names):
        if os.path.exists(stale):
            os.unlink(stale)
    # --force: the folder is this cell's own, and running the cell again replaces its recording.
    cmd = find_binary(args.binary) + ["attach", str(os.getpid()), "-o", folder, "--force", "--ready-file", ready, "--names", names]
    if args.no_html:
        cmd.append("--no-html")
    if args.state:
        cmd.append("--state")
    if os.geteuid() != 0:
        cmd = ["sudo", "-n"] + cmd
    # Output to files, not pipes: reader threads would show up in the trace. A new session keeps the
    # notebook's interrupt (SIGINT to the kernel) from reaching giltracer before we stop it ourselves.
    out_path, err_path = os.path.join(folder, "giltracer.out"), os.path.join(folder, "giltracer.err")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not os.path.exists(ready):
            if proc.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        if not os.path.exists(ready):
            _stop(proc)
            print("giltracer did not start recording:\n" + _read(err_path).strip())
            return None
        with giltracer_names.during(names):
            shell.run_cell(cell)
    finally:
        _stop(proc)
    messages = _read(err_path)
    summary_path = os.path.join(folder, "summary.json")
    if proc.returncode != 0 or not os.path.exists(summary_path):
        print("giltracer failed (exit code %s):\n%s" % (proc.returncode, messages.strip()))
        return None
    if args.verbose:
        print(messages.strip())
    with open(summary_path, encoding="utf-8") as f:
        summary = json.load(f)
    report = os.path.join(folder, "report.html")
    return GilReportView(folder, summary, None if args.no_html else report, messages)


def _stop(proc):
    if proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGINT)  # giltracer stops perf, keeps the recording and decodes it
        except ProcessLookupError:
            pass
    try:
        proc.wait(timeout=600)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def load_ipython_extension(ipython):
    from IPython.display import display

    def giltracer(line, cell):
        view = trace_cell(ipython, line, cell)
        if view is not None:
            display(view)

    giltracer.__doc__ = __doc__
    ipython.register_magic_function(giltracer, magic_kind="cell", magic_name="giltracer")


def unload_ipython_extension(ipython):
    ipython.magics_manager.magics["cell"].pop("giltracer", None)
