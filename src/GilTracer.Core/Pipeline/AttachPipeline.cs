using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Host;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using GilTracer.Core.Record;

namespace GilTracer.Core.Pipeline;

/// <summary>What `giltracer attach` traces and for how long (null: until Ctrl-C or the process exits).</summary>
public sealed record AttachOptions(
    int Pid,
    OutputOptions Outputs,
    double? DurationSeconds = null,
    int MmapPages = RecordRequest.DefaultMmapPages,
    /// <summary>JSON lines [pid, native_id, name] with Python thread names (the IPython extension writes them).</summary>
    string? NamesFile = null,
    /// <summary>Written once the probes are live and perf records: lets a caller start what it wants traced.</summary>
    string? ReadyFile = null,
    /// <summary>--state: also record sched events (system-wide, filtered to the process) for thread states.</summary>
    bool EnableSched = false,
    LocateOptions? Locate = null);

/// <summary>locate (from /proc/PID) → probe → record `perf record -p PID` → decode → analyze → render.</summary>
public static class AttachPipeline
{
    public static RunResult Attach(AttachOptions o, PipelineEvents? ev = null)
    {
        ev ??= new PipelineEvents();
        if (o.DurationSeconds is <= 0) throw new GilTracerException("--duration must be a positive number of seconds", 2);
        if (o.Pid == Environment.ProcessId) throw new GilTracerException($"process {o.Pid} is giltracer itself, not Python");
        if (o.Pid <= 0 || !Directory.Exists($"/proc/{o.Pid}")) throw new GilTracerException($"no process with pid {o.Pid}");
        HostFacts.FindPerf();
        HostFacts.RequireRoot();
        ev.Status?.Invoke($"locating the GIL in process {o.Pid}");
        var target = ProcessLocator.Locate(o.Pid, o.Locate);
        ev.Verbose?.Invoke(ProbedRecording.Describe(target));
        foreach (var note in target.Notes) ev.Verbose?.Invoke(note);
        foreach (var warning in target.Warnings) ev.Warning?.Invoke(warning);

        o.Outputs.CreateDirectories();
        File.Delete(o.Outputs.PerfDataPath);
        File.Delete(o.Outputs.SchedDataPath);
        if (o.ReadyFile is not null) File.Delete(o.ReadyFile);
        Dictionary<int, string> aliveAtStart = new();
        Dictionary<int, int> hostTids = new(); // a names file from a PID namespace names threads by its own tids
        var outcome = ProbedRecording.Record(target.Sites, selector => new RecordRequest(
                [selector], o.Outputs.PerfDataPath, [], o.MmapPages,
                AttachPid: o.Pid, DurationSeconds: o.DurationSeconds, SchedOutputFile: o.EnableSched ? o.Outputs.SchedDataPath : null, OnEnabled: () =>
                {
                    aliveAtStart = ProcessLocator.Threads(o.Pid);
                    hostTids = ProcessLocator.HostTids(o.Pid);
                    if (o.ReadyFile is not null) File.WriteAllText(o.ReadyFile, $"{Environment.ProcessId}\n");
                    ev.Status?.Invoke(o.DurationSeconds is { } d
                        ? $"recording process {o.Pid} for {d} s (Ctrl-C stops earlier)"
                        : $"recording process {o.Pid} until Ctrl-C or its exit");
                }),
            $"attaching to process {o.Pid}", ev);
        if (outcome.EnabledNs == 0)
        {
            if (!Directory.Exists($"/proc/{o.Pid}")) throw new GilTracerException($"process {o.Pid} exited before the recording started");
            throw new GilTracerException($"perf could not attach to process {o.Pid} (exit code {outcome.ExitCode}); run with --verbose to see the perf command");
        }
        // Still alive now means alive when we stopped perf; gone means it ended during the recording.
        var aliveAtEnd = ProcessLocator.Threads(o.Pid);
        foreach (var (inner, host) in ProcessLocator.HostTids(o.Pid)) hostTids[inner] = host;
        bool exited = aliveAtEnd.Count == 0;
        long endNs = outcome.StoppedNs != 0 ? outcome.StoppedNs : PerfControl.MonotonicNs();
        var window = new RecordingWindow(outcome.EnabledNs, exited ? outcome.EnabledNs : endNs,
            aliveAtStart.Keys.ToHashSet(), aliveAtEnd.Keys.ToHashSet());

        // Kernel names first, then Python's own (a names file) win.
        var names = new Dictionary<int, string>();
        foreach (var (tid, comm) in aliveAtStart) names[tid] = comm;
        foreach (var (tid, comm) in aliveAtEnd) names[tid] = comm;
        if (o.NamesFile is not null)
            foreach (var (tid, name) in ThreadNamesReader.Read(o.NamesFile)) names[hostTids.GetValueOrDefault(tid, tid)] = name;

        var setup = new AnalysisSetup
        {
            PythonNames = names, Sched = o.EnableSched, Scope = o.EnableSched ? TaskScope.Tree([o.Pid]) : null, Window = window,
        };
        var report = ProbedRecording.Report(o.Outputs, setup, null,
            $"perf recorded nothing while attached to process {o.Pid}; run with --verbose to see the perf command", ev,
            notes: exited ? [$"process {o.Pid} exited during the recording: the report covers it up to its end"] : null,
            schedData: o.EnableSched && File.Exists(o.Outputs.SchedDataPath) ? o.Outputs.SchedDataPath : null);
        return new RunResult(report, 0, target);
    }
}
