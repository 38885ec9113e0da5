using System.Text;
using GilTracer.Core.Model;

namespace GilTracer.Core.Analyze;

/// <summary>What the function join adds to the report: the blame ranking, who blocks whom, the tracer's cost, the
/// flame graphs, and the tracer's own warnings.</summary>
public sealed record FunctionFindings(IReadOnlyList<BlameRow> Blame, IReadOnlyList<BlockEdge> BlockMatrix,
    FunctionTracingSummary Summary, IReadOnlyList<FlameGraph> FlameGraphs, IReadOnlyList<string> Warnings);

/// <summary>
/// --functions: the function tracer's calls joined with the GIL intervals. Give <see cref="Sink"/> to the GIL analyzer;
/// after the last event, <see cref="Find"/> ranks the functions that held the GIL while others waited and weighs the
/// three flame graphs, and <see cref="Calls"/> hands the calls to the outputs that draw them.
/// </summary>
public sealed class FunctionJoin(FunctionTrace trace)
{
    public static readonly (string Name, string Title)[] Graphs =
    [
        ("flame-holding", "Holding the GIL while others wait (weighted by the wait caused)"),
        ("flame-waiting", "Waiting for the GIL"),
        ("flame-offgil", "Running or sleeping without the GIL"),
    ];

    readonly BlameAnalyzer _blame = new();
    public FunctionTrace Trace => trace;
    public FunctionTimeline Timeline { get; } = FunctionTimeline.Build(trace);
    public IIntervalSink Sink => _blame;

    /// <summary>Threads as the report names them (after --state's merge), else as the tracer did, else by tid.</summary>
    Func<int, string> ThreadNames(GilReport report)
    {
        var names = report.Threads.ToDictionary(t => t.Tid, t => t.Name);
        return tid => names.TryGetValue(tid, out var n) ? n : trace.ThreadNames.GetValueOrDefault(tid, tid.ToString());
    }

    public FunctionFindings Find(GilReport report)
    {
        var name = ThreadNames(report);
        var r = _blame.Finish(Timeline, name);
        var summary = new FunctionTracingSummary(trace.Mode, trace.PythonVersion, trace.Records.Length, trace.Functions.Count,
            trace.Stats?.EstNsPerEvent ?? 0, trace.Stats?.EstOverheadNs ?? 0, trace.Truncated,
            r.HandoffWaitNs, r.RowsBelowFloor, r.WaitBelowFloorNs, r.FloorNs);
        var folded = new[] { r.Holding, r.Waiting, r.OffGil };
        var graphs = Graphs.Select((g, i) => new FlameGraph(g.Name, g.Title, FlameStacks.Of(folded[i], Timeline, name))).ToList();
        var warnings = new List<string>();
        if (trace.Stats is null)
            warnings.Add("the function tracer wrote no statistics: the program ended abruptly; its calls are shown up to its last flush");
        if (trace.Truncated)
            warnings.Add("the function trace ends in a partial record (the program died while writing it)");
        return new FunctionFindings(r.Rows, r.Matrix, summary, graphs, warnings);
    }

    /// <summary>Every call, on lanes named as the report names the threads; the process is the tracer's (or the report's
    /// main thread's when the tracer did not say).</summary>
    public FunctionCalls Calls(GilReport report)
    {
        var name = ThreadNames(report);
        int pid = trace.Pid != 0 ? trace.Pid : report.Threads.FirstOrDefault(t => t.IsMain)?.Pid ?? 0;
        return new FunctionCalls(pid, Timeline.Tids.Select(tid => new FunctionLane(tid, name(tid))).ToList(), Timeline.Spans, trace);
    }
}

/// <summary>
/// Interned stacks of a timeline named for flame graphs: one stack per (thread, stack), the thread's name as the root
/// frame, equal named stacks merged, sorted by their folded text. Names come from the traced program: ';' and control
/// characters are replaced, so that a name can neither split a frame nor a line of the folded format.
/// </summary>
public static class FlameStacks
{
    public static List<FoldedStack> Of(FoldedStacks folded, FunctionTimeline timeline, Func<int, string> threadName)
    {
        var names = new Dictionary<int, string>();
        string FrameName(int f) => names.TryGetValue(f, out var n) ? n : names[f] = Clean(timeline.Trace.Function(f).Display);
        var merged = new Dictionary<string, FoldedStack>();
        foreach (var ((tid, stack), ns) in folded.Ns)
        {
            if (ns <= 0) continue;
            var frames = stack == FunctionTimeline.Root
                ? [Clean(threadName(tid)), BlameAnalyzer.UnknownName]
                : timeline.Frames(stack).Select(FrameName).Prepend(Clean(threadName(tid))).ToArray();
            var key = string.Join(';', frames);
            merged[key] = merged.TryGetValue(key, out var prev) ? prev with { Value = prev.Value + ns } : new FoldedStack(frames, ns);
        }
        return merged.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToList();
    }

    public static string Clean(string name) => name.Length == 0 ? "?" : DisplayText.Escape(name, ';');
}
