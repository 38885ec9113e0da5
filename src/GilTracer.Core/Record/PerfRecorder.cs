using System.Diagnostics;
using System.Runtime.InteropServices;
using GilTracer.Core.Host;
using GilTracer.Core.Model;

namespace GilTracer.Core.Record;

/// <summary>What to record and how.</summary>
public sealed record RecordRequest(
    IReadOnlyList<string> Events,
    string OutputFile,
    IReadOnlyList<string> Command,
    int MmapPages = RecordRequest.DefaultMmapPages,
    IReadOnlyDictionary<string, string>? Environment = null,
    int? AttachPid = null,
    double? DurationSeconds = null,
    /// <summary>Attach only: runs once perf has acknowledged that its events are live (e.g. to list the threads alive then).</summary>
    Action? OnEnabled = null,
    /// <summary>Also record sched events system-wide into this file, from before the program starts until it ends (--state).</summary>
    string? SchedOutputFile = null)
{
    /// <summary>perf's ring buffer per CPU: measured to lose nothing on an 8-thread GIL storm or a 32-thread --state run.</summary>
    public const int DefaultMmapPages = 2048;
}

/// <summary>
/// How a recording went: perf's exit code; for attach, when the events were enabled and when we stopped perf
/// (CLOCK_MONOTONIC ns, taken at perf's acknowledgement, so events may precede it by microseconds; StoppedNs is 0
/// when perf ended on its own because the target exited).
/// </summary>
public sealed record RecordOutcome(int ExitCode, long EnabledNs, long StoppedNs);

/// <summary>
/// Runs `perf record -k CLOCK_MONOTONIC` around the target. The target shares our terminal; Ctrl-C reaches
/// perf and the target from the terminal, while we stay alive to keep and decode what was recorded. SIGTERM or
/// SIGINT sent to us alone is forwarded to perf, which stops the target and writes its file.
/// </summary>
public static class PerfRecorder
{
    /// <summary>Kernel sched tracepoints for thread states (--state), recorded system-wide by <see cref="SchedRecorder"/>.</summary>
    public static readonly IReadOnlyList<string> SchedEvents =
        ["sched:sched_switch", "sched:sched_wakeup", "sched:sched_wakeup_new", "sched:sched_process_fork", "sched:sched_process_exit"];

    /// <summary>Runs perf; returns its exit code, which is the target's (128+signal when it was killed).</summary>
    public static int Record(RecordRequest req, Action<string>? log = null) => Run(req, log).ExitCode;

    /// <summary>Runs perf; an attach (AttachPid) starts with events disabled and enables them through the control FIFOs.</summary>
    public static RecordOutcome Run(RecordRequest req, Action<string>? log = null)
    {
        using var sched = req.SchedOutputFile is { } schedFile ? SchedRecorder.Start(schedFile, req.MmapPages, log) : null;
        return RecordTarget(req, log);
    }

    static RecordOutcome RecordTarget(RecordRequest req, Action<string>? log)
    {
        var perf = HostFacts.FindPerf();
        var psi = new ProcessStartInfo(perf) { UseShellExecute = false };
        psi.ArgumentList.Add("record");
        psi.ArgumentList.Add("-q");
        psi.ArgumentList.Add("-k");
        psi.ArgumentList.Add("CLOCK_MONOTONIC");
        psi.ArgumentList.Add("-m");
        psi.ArgumentList.Add(req.MmapPages.ToString());
        foreach (var e in req.Events) { psi.ArgumentList.Add("-e"); psi.ArgumentList.Add(e); }
        psi.ArgumentList.Add("-o");
        psi.ArgumentList.Add(req.OutputFile);
        using var control = req.AttachPid is null ? null : new PerfControl();
        if (req.AttachPid is { } pid)
        {
            psi.ArgumentList.Add("-p");
            psi.ArgumentList.Add(pid.ToString());
            foreach (var a in control!.PerfArguments) psi.ArgumentList.Add(a);
        }
        if (req.Command.Count > 0)
        {
            psi.ArgumentList.Add("--");
            foreach (var a in req.Command) psi.ArgumentList.Add(a);
        }
        if (req.Environment is not null)
            foreach (var (k, v) in req.Environment) psi.Environment[k] = v;
        log?.Invoke("$ " + string.Join(' ', psi.ArgumentList.Select(a => a.Contains(' ') ? $"'{a}'" : a)));

        Process proc;
        try { proc = Process.Start(psi)!; }
        catch (Exception e) { throw new GilTracerException($"cannot start perf: {e.Message}"); }
        long stoppedNs = 0;
        void Stop()
        {
            try
            {
                if (proc.HasExited) return;
                if (stoppedNs == 0) stoppedNs = PerfControl.MonotonicNs();
                Libc.Kill(proc.Id, Libc.SIGINT);
            }
            catch (InvalidOperationException) { }
        }
        void Forward(PosixSignalContext ctx)
        {
            ctx.Cancel = true; // stay alive: what perf recorded still has to be decoded and written
            Stop();
        }
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Forward);
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Forward);
        using var onHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Forward);
        long enabledNs = 0;
        if (control is not null)
        {
            if (!control.Enable(() => !proc.HasExited, TimeSpan.FromSeconds(60)))
            {
                Stop();
                proc.WaitForExit();
                return new RecordOutcome(proc.ExitCode, 0, 0); // perf failed to attach: its exit code says so
            }
            enabledNs = PerfControl.MonotonicNs();
            req.OnEnabled?.Invoke();
        }
        var deadline = req.DurationSeconds is { } seconds ? DateTime.UtcNow + TimeSpan.FromSeconds(seconds) : DateTime.MaxValue;
        // perf -p ends by itself when the process exits. Wake at the deadline, not up to a second after it (--duration 2
        // recorded 3 s).
        while (!proc.WaitForExit(TimeSpan.FromMilliseconds(Math.Clamp((deadline - DateTime.UtcNow).TotalMilliseconds, 0, 1000))))
        {
            if (DateTime.UtcNow >= deadline)
            {
                Stop();
                proc.WaitForExit();
                break;
            }
        }
        return new RecordOutcome(proc.ExitCode, enabledNs, stoppedNs);
    }
}
