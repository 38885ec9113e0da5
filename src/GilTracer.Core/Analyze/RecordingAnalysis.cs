using GilTracer.Core.Model;

namespace GilTracer.Core.Analyze;

/// <summary>What the analysis of a recording runs beyond the GIL state machine.</summary>
public sealed record AnalysisSetup
{
    /// <summary>Python's thread names by tid (threads.jsonl, an attach's names file): they win over the tracer's and perf's.</summary>
    public IReadOnlyDictionary<int, string>? PythonNames { get; init; }
    /// <summary>A function trace to join (blame, flame graphs, Python calls on the timelines).</summary>
    public FunctionTrace? Functions { get; init; }
    /// <summary>Also compute kernel thread states from sched events (--state, convert sched|auto).</summary>
    public bool Sched { get; init; }
    /// <summary>Keep only these tasks' events (system-wide recordings); with Sched and no scope, the tasks events were
    /// recorded in the context of (per-task recordings).</summary>
    public TaskScope? Scope { get; init; }
    /// <summary>An attach's recording window: threads alive at its start lived since then.</summary>
    public RecordingWindow? Window { get; init; }
}

/// <summary>Whether a recording may hold every process of the machine (perf record -a): the report says so unless a
/// scope keeps one program.</summary>
public enum RecordingReach
{
    /// <summary>The program's own tasks (run, attach): nothing to say.</summary>
    Program,
    /// <summary>perf.data's header says -a.</summary>
    SystemWide,
    /// <summary>Text: judged from the threads (kernel threads are never the context of a per-task recording's events).</summary>
    Unknown,
}

/// <summary>What the report says beyond what the events do, in the order of its warnings after the analyzers' own.</summary>
public sealed record ReportContext
{
    public int? ExitCode { get; init; }
    /// <summary>The decoder's findings (losses, skips).</summary>
    public IReadOnlyList<string> DecodeWarnings { get; init; } = [];
    /// <summary>A warning for a report without threads (run, attach: the probes did not fire).</summary>
    public string? WhenNoThreads { get; init; }
    /// <summary>Warnings of the steps before decoding (run, attach).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
    public RecordingReach Reach { get; init; } = RecordingReach.Program;
    /// <summary>The interpreter run started (run only).</summary>
    public TracedPython? Python { get; init; }
}

/// <summary>
/// The analyzers of one recording over one stream of events: the task scope, the GIL state machine, the sched states
/// and the function join. Sinks get every interval as it closes; <see cref="Snapshot"/> gives the running totals at any
/// time, <see cref="Finish"/> the report, built once from what each analyzer found.
/// </summary>
public sealed class RecordingAnalysis
{
    const string SystemWideWarning = "this is a system-wide recording (perf record -a): threads of every process are shown; keep one program with --pid PID";

    readonly AnalysisSetup _setup;
    readonly GilAnalyzer _gil = new();
    readonly SchedAnalyzer? _states;
    readonly FunctionJoin? _functions;
    readonly TaskScope? _admit;

    public RecordingAnalysis(AnalysisSetup setup)
    {
        _setup = setup;
        if (setup.Functions is { } trace)
        {
            _functions = new FunctionJoin(trace);
            foreach (var (tid, name) in trace.ThreadNames) _gil.SetPythonThreadName(tid, name);
            _gil.AddSink(_functions.Sink);
        }
        foreach (var (tid, name) in setup.PythonNames ?? new Dictionary<int, string>()) _gil.SetPythonThreadName(tid, name);
        if (setup.Window is not null) _gil.SetRecordingWindow(setup.Window);
        _admit = setup.Scope;
        if (!setup.Sched) return;
        _admit ??= TaskScope.Contexts();
        _states = setup.Window is { } w
            // a process that exited has no threads alive at the end, and its window no end of its own (its last events are)
            ? new SchedAnalyzer(_admit, _gil) { ClipStartNs = w.StartNs, ClipEndNs = w.AliveAtEnd.Count > 0 ? w.EndNs : long.MaxValue }
            : new SchedAnalyzer(_admit, _gil);
    }

    public void AddSink(IIntervalSink sink)
    {
        _gil.AddSink(sink);
        _states?.AddSink(sink);
    }

    /// <summary>Whether the event concerns the program (updating who belongs to it): once per event, before Process.</summary>
    public bool Admit(in TraceEvent e) => _admit is null || _admit.Admit(e);

    public void Process(in TraceEvent e)
    {
        _gil.Process(e);
        _states?.Process(e);
    }

    /// <summary>The GIL's running totals, open waits and holds counted up to the watermark (see <see cref="GilAnalyzer.Snapshot"/>).</summary>
    public GilReport Snapshot(long watermarkNs, bool live = false) => _gil.Snapshot(watermarkNs, live);

    /// <summary>A name Python gave a thread, learnt while the recording goes on (top follows the names file).</summary>
    public void SetPythonThreadName(int tid, string name) => _gil.SetPythonThreadName(tid, name);

    /// <summary>Where a live recording ended, once it has (top: before <see cref="Finish"/>).</summary>
    public void SetRecordingWindow(RecordingWindow window) => _gil.SetRecordingWindow(window);

    /// <summary>A live recording was asked to stop at this time (CLOCK_MONOTONIC ns).</summary>
    public void StoppedAt(long ns) => _gil.StoppedAt(ns);

    /// <summary>Forgets threads that exited before the time (see <see cref="GilAnalyzer.Retire"/>).</summary>
    public int Retire(long exitedBeforeNs) => _gil.Retire(exitedBeforeNs);

    /// <summary>After the last event: closes what is open (streamed to the sinks) and builds the report.</summary>
    public GilReport Finish(ReportContext context)
    {
        var report = _gil.Finish();
        if (_states is not null) report = _states.Finish(report, _setup.PythonNames);
        var found = _functions?.Find(report);
        var warnings = report.Warnings.Concat(found?.Warnings ?? []).Concat(context.DecodeWarnings).ToList();
        if (report.Threads.Count == 0 && context.WhenNoThreads is not null) warnings.Add(context.WhenNoThreads);
        warnings.AddRange(context.Notes);
        if (_setup.Scope is null && (context.Reach == RecordingReach.SystemWide ||
                                     context.Reach == RecordingReach.Unknown && report.Threads.Any(t => LooksLikeKernelThread(t.Name))))
            warnings.Add(SystemWideWarning);
        return report with
        {
            ExitCode = context.ExitCode, Python = context.Python, Warnings = warnings,
            Blame = found?.Blame ?? [], BlockMatrix = found?.BlockMatrix ?? [], FunctionTracing = found?.Summary,
            FlameGraphs = found?.FlameGraphs ?? [],
        };
    }

    /// <summary>After Finish: the function tracer's calls for the outputs that draw them (null without --functions).</summary>
    public FunctionCalls? Calls(GilReport report) => _functions?.Calls(report);

    static bool LooksLikeKernelThread(string comm) =>
        comm.StartsWith("kworker/", StringComparison.Ordinal) || comm.StartsWith("ksoftirqd/", StringComparison.Ordinal) ||
        comm.StartsWith("migration/", StringComparison.Ordinal) || comm.StartsWith("rcu_", StringComparison.Ordinal);
}
