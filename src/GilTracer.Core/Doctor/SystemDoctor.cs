using System.Diagnostics;
using GilTracer.Core.Host;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;

namespace GilTracer.Core.Doctor;

/// <summary>
/// `giltracer doctor`: checks, for real, everything `giltracer run` needs, by asking the host and then running the
/// stages themselves: perf, root, the kernel, tracefs and its sched tracepoints (<see cref="HostFacts"/>), the Python
/// and its GIL probe sites (Locate), and a <see cref="ProbeTrial"/> (Probe, Record, Decode) that sees the probes fire.
/// Read-only apart from a uprobe group of its own (giltracer_PID_N), removed before returning.
/// </summary>
public static class SystemDoctor
{
    static readonly string[] SchedTracepoints = ["sched_switch", "sched_wakeup", "sched_process_fork", "sched_process_exit"];

    public static DoctorReport Examine(string python, LocateOptions locate)
    {
        var checks = new List<DoctorCheck>();
        var perf = HostFacts.PerfOrNull;
        checks.Add(perf is not null
            ? new("perf", true, $"{perf} ({Capture(perf, "--version").Trim()})")
            : new("perf", false, "not found on PATH", HostFacts.InstallPerf));

        bool root = HostFacts.IsRoot;
        checks.Add(root
            ? new("root", true, "running as root (uprobes can be created)")
            : new("root", false, "not root: creating uprobes needs root", "sudo giltracer …"));
        if (HostFacts.PerfEventParanoid is { } paranoid)
            checks.Add(new("perf_event_paranoid", true, root ? $"{paranoid} (does not matter as root)" : $"{paranoid} (root is needed anyway for uprobes)"));
        if (HostFacts.KernelRelease is { } kernel)
            checks.Add(new("kernel", true, $"Linux {kernel}"));

        var tracefs = TraceFs.TryFind();
        checks.Add(tracefs is not null
            ? new("tracefs", true, $"mounted at {tracefs}")
            : new("tracefs", false, "not mounted (no /sys/kernel/tracing/uprobe_events)", "sudo giltracer setup   # or: mount -t tracefs nodev /sys/kernel/tracing"));
        if (tracefs is not null)
        {
            var missing = SchedTracepoints.Where(e => !File.Exists(Path.Combine(tracefs, "events", "sched", e, "id"))).ToList();
            checks.Add(missing.Count == 0
                ? new("sched tracepoints", true, $"{string.Join(", ", SchedTracepoints)} (for --state)")
                : new("sched tracepoints", false, $"missing: {string.Join(", ", missing)} (only --state needs them)", "use a kernel built with CONFIG_TRACEPOINTS and CONFIG_SCHED_TRACER/ftrace"));
        }

        PythonTarget? target = null;
        string[] launcher = [];
        try
        {
            (target, launcher) = Locate(python, locate);
            checks.Add(new("python", true, $"{target.Executable}: Python {target.Version}{(launcher.Length > 0 ? $" (read from the file: it runs in the root {launcher[1]})" : "")}"));
            checks.Add(new("GIL code", true, $"{target.GilBinary} ({(target.SharedLibrary ? "shared libpython" : "static: in the executable")}, {(target.Stripped ? "stripped" : "with symbols")}); found by {target.Method}"));
        }
        catch (GilTracerException e)
        {
            checks.Add(new("python", false, e.Message, "giltracer doctor --python /path/to/python3.X   # a CPython 3.8 or newer with a GIL"));
        }

        if (target is not null && tracefs is not null && root)
            checks.Add(ProbeTrial.CreateUprobes(target));
        if (target is not null && tracefs is not null && root && perf is not null)
            checks.Add(ProbeTrial.Record(target, launcher));
        return new DoctorReport(checks, target);
    }

    /// <summary>
    /// The Python as `run` would trace it, asked by running it; a Python that cannot run here (one inside a container's
    /// or chroot's root, needing that root's libraries) is read from its file instead, its root taken from its path
    /// (ROOT/usr/bin/python3.X), with the root's debug files, and its trial run through chroot.
    /// </summary>
    static (PythonTarget Target, string[] Launcher) Locate(string python, LocateOptions locate)
    {
        try { return (PythonLocator.Locate(python, locate), []); }
        catch (GilTracerException) when (RootOf(python) is { } root && PythonImage.Of(python) is { Kind: not PythonImageKind.NotPython } image)
        {
            var program = new ResolvedProgram(python, root, "/" + Path.GetRelativePath(root, Path.GetFullPath(python)), []);
            var gil = program.GilBinary(image, null) ?? throw new GilTracerException($"{python} needs {image.LibPython}, which is not in its root {root}");
            var target = ProcessLocator.LocateFile(gil, locate.InRoot(root)) with { Executable = python };
            return (target, ["chroot", root, program.PathInRoot]);
        }
    }

    /// <summary>ROOT of ROOT/usr/bin/x, ROOT/bin/x, ROOT/usr/local/bin/x when ROOT is not / and looks like a system root.</summary>
    static string? RootOf(string path)
    {
        var full = Path.GetFullPath(path);
        foreach (var dir in new[] { "/usr/local/bin/", "/usr/bin/", "/bin/" })
        {
            int at = full.LastIndexOf(dir, StringComparison.Ordinal);
            if (at > 0 && Directory.Exists(full[..at] + "/usr/lib")) return full[..at];
        }
        return null;
    }

    static string Capture(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var s = p.StandardOutput.ReadToEnd();
        p.WaitForExit(10_000);
        return s;
    }
}
