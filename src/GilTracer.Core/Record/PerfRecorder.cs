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
/// Runs `perf record -k CLOCK_MONOTONIC` around the target, through <see cref="ExecWrapper"/>: perf dies with us (even
/// after a SIGKILL) and has a process group of its own. The program (giltracer_boot.py, asked through its environment)
/// dies with perf and, when there is a terminal, joins our process group, the terminal's foreground. So a Ctrl-C typed
/// there reaches the program and us but not perf (perf would turn it into a SIGTERM for the program): the program's
/// own SIGINT handlers and KeyboardInterrupt run and it keeps the terminal (input(), pdb), while we stay alive to keep
/// and decode what was recorded. A SIGINT that did not reach the program (no terminal, or sent to us alone while in
/// the background) is passed on to it; a second SIGINT kills it. Either way perf ends when the program does, with its
/// exit code. SIGTERM or SIGHUP sent to us is forwarded to perf, which stops the program and writes its file.
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
        var argv = new List<string> { HostFacts.FindPerf(), "record", "-q", "-k", "CLOCK_MONOTONIC", "-m", req.MmapPages.ToString() };
        foreach (var e in req.Events) argv.AddRange(["-e", e]);
        argv.AddRange(["-o", req.OutputFile]);
        using var control = req.AttachPid is null ? null : new PerfControl();
        if (req.AttachPid is { } pid)
        {
            argv.AddRange(["-p", pid.ToString()]);
            argv.AddRange(control!.PerfArguments);
        }
        bool program = req.Command.Count > 0;
        if (program)
        {
            argv.Add("--");
            argv.AddRange(req.Command);
        }
        log?.Invoke("$ " + ShellQuoter.Join(argv));

        // The program ties itself to perf and joins our group (giltracer_boot.py: a wrapper exec'd before python would
        // leave its runtime's threads in the program's pid). Without a terminal there is nothing to share: it stays in
        // perf's group, and every SIGINT we get is passed on.
        bool sharesOurGroup = program && ExecWrapper.Enabled && HostFacts.Terminal.HasTerminal;
        // from this thread, which waits for perf below: the death signal is tied to it
        var proc = ExecWrapper.StartPerf(argv, psi =>
        {
            if (req.Environment is not null)
                foreach (var (k, v) in req.Environment) psi.Environment[k] = v;
            if (program && ExecWrapper.Enabled)
            {
                psi.Environment["GILTRACER_TIE"] = "1";
                if (sharesOurGroup) psi.Environment["GILTRACER_PGID"] = Libc.GetPgrp().ToString();
            }
        });
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
        int interrupts = 0;
        void Interrupt(PosixSignalContext ctx)
        {
            ctx.Cancel = true;
            int target = program && ExecWrapper.Enabled ? ProgramOf(proc.Id) : 0;
            if (target == 0) { Stop(); return; } // attach, no wrapper, or the program is not running (yet): stop perf
            if (Interlocked.Increment(ref interrupts) > 1) Libc.Kill(target, Libc.SIGKILL);
            else if (!(sharesOurGroup && Libc.GetPgid(target) == Libc.GetPgrp() && HostFacts.Terminal.Foreground))
                Libc.Kill(target, Libc.SIGINT); // the terminal did not send it to the program too: pass it on
        }
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
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

    /// <summary>The program perf started (its only child), 0 when there is none (not started yet, or ended).</summary>
    static int ProgramOf(int perfPid)
    {
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{perfPid}/task"))
                foreach (var child in File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                    if (int.TryParse(child, out var pid)) return pid;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return 0;
    }
}
