using System.Diagnostics;
using GilTracer.Core.Decode;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using GilTracer.Core.Record;

namespace GilTracer.Core.Probe;

/// <summary>One line of `giltracer doctor`: what was checked, whether it works, and the command that fixes it.</summary>
public sealed record DoctorCheck(string Name, bool Ok, string Detail, string? Fix = null);

/// <summary>What `giltracer doctor` found: the checks in order and, when the Python was located, where its GIL is.</summary>
public sealed record DoctorReport(IReadOnlyList<DoctorCheck> Checks, PythonTarget? Python)
{
    public bool AllOk => Checks.All(c => c.Ok);
}

/// <summary>
/// Checks, for real, everything `giltracer run` needs: perf, root, tracefs, uprobes, sched tracepoints, the Python
/// and its GIL probe sites; ends with a one-second recording of a tiny threaded program to see the probes fire.
/// Read-only apart from a uprobe group of its own (giltracer_PID_N), removed before returning.
/// </summary>
public static class SystemInspector
{
    public static DoctorReport Inspect(string python, LocateOptions locate)
    {
        var checks = new List<DoctorCheck>();
        string? perf = null;
        try
        {
            perf = SystemChecks.FindPerf();
            checks.Add(new("perf", true, $"{perf} ({Capture(perf, "--version").Trim()})"));
        }
        catch (GilTracerException e) { checks.Add(new("perf", false, "not found on PATH", e.Message[(e.Message.IndexOf(':') + 1)..].Trim())); }

        bool root = SystemChecks.IsRoot;
        checks.Add(root
            ? new("root", true, "running as root (uprobes can be created)")
            : new("root", false, "not root: creating uprobes needs root", "sudo giltracer …"));
        var paranoid = ReadTrimmed("/proc/sys/kernel/perf_event_paranoid");
        if (paranoid is not null)
            checks.Add(new("perf_event_paranoid", true, root ? $"{paranoid} (does not matter as root)" : $"{paranoid} (root is needed anyway for uprobes)"));

        var tracefs = TraceFs.TryFind();
        checks.Add(tracefs is not null
            ? new("tracefs", true, $"mounted at {tracefs}")
            : new("tracefs", false, "not mounted (no /sys/kernel/tracing/uprobe_events)", "sudo giltracer setup   # or: mount -t tracefs nodev /sys/kernel/tracing"));
        if (tracefs is not null)
        {
            var sched = new[] { "sched_switch", "sched_wakeup", "sched_process_fork", "sched_process_exit" }
                .Where(e => !File.Exists(Path.Combine(tracefs, "events", "sched", e, "id"))).ToList();
            checks.Add(sched.Count == 0
                ? new("sched tracepoints", true, "sched_switch, sched_wakeup, sched_process_fork, sched_process_exit (for --state)")
                : new("sched tracepoints", false, $"missing: {string.Join(", ", sched)} (only --state needs them)", "use a kernel built with CONFIG_TRACEPOINTS and CONFIG_SCHED_TRACER/ftrace"));
        }

        PythonTarget? target = null;
        try
        {
            target = PythonLocator.Locate(python, locate);
            checks.Add(new("python", true, $"{target.Executable}: Python {target.Version}"));
            checks.Add(new("GIL code", true, $"{target.GilBinary} ({(target.SharedLibrary ? "shared libpython" : "static: in the executable")}, {(target.Stripped ? "stripped" : "with symbols")}); found by {target.Method}"));
        }
        catch (GilTracerException e)
        {
            checks.Add(new("python", false, e.Message, "giltracer doctor --python /path/to/python3.X   # a CPython 3.8–3.13 with a GIL"));
        }

        if (target is not null && tracefs is not null && root)
            checks.Add(TryUprobes(target));
        if (target is not null && tracefs is not null && root && perf is not null)
            checks.Add(TryRecording(target));
        return new DoctorReport(checks, target);
    }

    static DoctorCheck TryUprobes(PythonTarget target)
    {
        try
        {
            using var group = UprobeGroup.Create(target.Sites);
            return new("uprobes", true, $"created and removed {group.Events.Count} probes ({group.Name})");
        }
        catch (GilTracerException e)
        {
            return new("uprobes", false, e.Message, "check that the kernel has CONFIG_UPROBE_EVENTS=y (grep UPROBE /boot/config-$(uname -r))");
        }
    }

    /// <summary>A real recording of a thread start and join: the probes must fire.</summary>
    static DoctorCheck TryRecording(PythonTarget target)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"giltracer-doctor-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        try
        {
            var data = Path.Combine(dir, "perf.data");
            using (var group = UprobeGroup.Create(target.Sites))
            {
                var code = "import threading,time\ndef f():\n  t=time.time()\n  while time.time()-t<0.05: pass\nts=[threading.Thread(target=f) for _ in range(2)]\n[t.start() for t in ts]\n[t.join() for t in ts]";
                int exit = PerfRecorder.Record(new RecordRequest([group.Selector], data, [target.Executable, "-c", code], 64));
                if (exit != 0 || !File.Exists(data)) return new("recording", false, $"perf record exited with {exit}", "run: perf record -e 'giltracer_*' -- true   # to see perf's own message");
            }
            var counts = new Dictionary<EventKind, int>();
            foreach (var e in PerfScriptRunner.Read(data, new PerfScriptTextReader()))
                counts[e.Kind] = counts.GetValueOrDefault(e.Kind) + 1;
            int take = counts.GetValueOrDefault(EventKind.TakeGil), held = counts.GetValueOrDefault(EventKind.TakeGilReturn), drop = counts.GetValueOrDefault(EventKind.DropGil) + counts.GetValueOrDefault(EventKind.ReleaseSite);
            bool ok = take > 0 && held > 0 && drop > 0;
            return new("recording", ok, $"a two-thread test program fired take_gil {take}×, acquired {held}×, released {drop}×",
                ok ? null : "the probe sites do not fire: report this Python build, or try --take-gil-offset/--drop-gil-offset");
        }
        catch (GilTracerException e) { return new("recording", false, e.Message); }
        finally { try { Directory.Delete(dir, true); } catch (IOException) { } }
    }

    static string? ReadTrimmed(string path)
    {
        try { return File.ReadAllText(path).Trim(); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
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
