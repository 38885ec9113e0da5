using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;
using GilTracer.Core.Render;
using GilTracer.Core.Render.Html;

namespace GilTracer.Core.Pipeline;

/// <summary>
/// --functions glue: reads the tracer's output, feeds the blame join from the GIL analyzer, and at the end fills
/// the report (blame, who blocks whom, tracer cost) and writes the three folded-stack files with their SVGs.
/// </summary>
public sealed class FunctionAttribution
{
    public static readonly (string File, string Title)[] FlameGraphs =
    [
        ("flame-holding", "Holding the GIL while others wait (weighted by the wait caused)"),
        ("flame-waiting", "Waiting for the GIL"),
        ("flame-offgil", "Running or sleeping without the GIL"),
    ];

    readonly BlameAnalyzer _blame = new();
    public FunctionTrace Trace { get; }
    public FunctionTimeline Timeline { get; }
    public IIntervalSink Sink => _blame;
    public BlameResult? Result { get; private set; }

    FunctionAttribution(FunctionTrace trace)
    {
        Trace = trace;
        Timeline = FunctionTimeline.Build(trace);
    }

    /// <summary>The tracer's directory (or functions.bin); null when the tracer wrote nothing there.</summary>
    public static FunctionAttribution? Load(string path)
    {
        var bin = Directory.Exists(path) ? Path.Combine(path, FunctionTraceReader.RecordsFile) : path;
        return File.Exists(bin) ? new FunctionAttribution(FunctionTraceReader.Read(path)) : null;
    }

    /// <summary>Python's thread names from the tracer, for the analyzer (the bootstrap's file may be missing).</summary>
    public void AddThreadNames(GilAnalyzer analyzer)
    {
        foreach (var (tid, name) in Trace.ThreadNames) analyzer.SetPythonThreadName(tid, name);
    }

    public GilReport Complete(GilReport report, string outputDir)
    {
        var names = report.Threads.ToDictionary(t => t.Tid, t => t.Name);
        string Name(int tid) => names.TryGetValue(tid, out var n) ? n : Trace.ThreadNames.GetValueOrDefault(tid, tid.ToString());
        var r = Result = _blame.Finish(Timeline, Name);
        var warnings = report.Warnings.ToList();
        if (Trace.Stats is null)
            warnings.Add("the function tracer wrote no statistics: the program ended abruptly; its calls are shown up to its last flush");
        if (Trace.Truncated)
            warnings.Add("the function trace ends in a partial record (the program died while writing it)");
        report = report with
        {
            Blame = r.Rows, BlockMatrix = r.Matrix, Warnings = warnings,
            FunctionTracing = new FunctionTracingSummary(Trace.Mode, Trace.PythonVersion, Trace.Records.Length,
                Trace.Functions.Count, Trace.Stats?.EstNsPerEvent ?? 0, Trace.Stats?.EstOverheadNs ?? 0, Trace.Truncated,
                r.HandoffWaitNs, r.RowsBelowFloor, r.WaitBelowFloorNs, r.FloorNs),
        };

        var folded = new[] { r.Holding, r.Waiting, r.OffGil };
        for (int i = 0; i < folded.Length; i++)
        {
            var stacks = FoldedStacksRenderer.Stacks(folded[i], Timeline, Name);
            FoldedStacksRenderer.Write(stacks, Path.Combine(outputDir, FlameGraphs[i].File + ".folded"));
            FlameGraphSvgRenderer.Write(stacks, FlameGraphs[i].Title, Path.Combine(outputDir, FlameGraphs[i].File + ".svg"));
        }
        return report;
    }

    /// <summary>The report's flame graphs (from the folded files Complete wrote) and every call for the timeline's tooltip.</summary>
    public void AddToHtmlReport(HtmlReportRenderer html, GilReport report, string outputDir)
    {
        foreach (var (file, title) in FlameGraphs)
        {
            var path = Path.Combine(outputDir, file + ".folded");
            if (File.Exists(path)) html.AddFlameGraph(title, File.ReadAllText(path));
        }
        int pid = Trace.Pid != 0 ? Trace.Pid : report.Threads.FirstOrDefault(t => t.IsMain)?.Pid ?? 0;
        var names = new Dictionary<int, string>();
        foreach (var s in Timeline.Spans)
        {
            if (!names.TryGetValue(s.FunctionId, out var name)) names[s.FunctionId] = name = Trace.Function(s.FunctionId).Display;
            html.OnFunctionSpan(pid, s.Tid, s.StartNs, s.EndNs, s.Depth, name);
        }
    }

    public void WriteChromeSpans(ChromeTraceRenderer chrome, GilReport report)
    {
        var names = report.Threads.ToDictionary(t => t.Tid, t => t.Name);
        int pid = Trace.Pid != 0 ? Trace.Pid : report.Threads.FirstOrDefault(t => t.IsMain)?.Pid ?? 0;
        chrome.WriteFunctionSpans(Timeline, pid, tid => names.TryGetValue(tid, out var n) ? n : Trace.ThreadNames.GetValueOrDefault(tid, tid.ToString()));
    }
}
