using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;
using GilTracer.Core.Render;
using GilTracer.Core.Render.Html;

namespace GilTracer.Core.Pipeline;

/// <summary>What an analysis may add to the GIL state machine.</summary>
/// <param name="Functions">A function trace to join (blame, flame graphs, Python spans).</param>
/// <param name="Sched">Also compute kernel thread states from sched events (--state, convert sched|auto).</param>
/// <param name="Scope">Keep only these tasks' events (system-wide recordings); with Sched and no scope, the tasks
/// events were recorded in the context of (per-task recordings).</param>
/// <param name="Window">An attach's recording window: threads alive at its start lived since then.</param>
public sealed record AnalysisExtras(FunctionAttribution? Functions = null, bool Sched = false, TaskScope? Scope = null,
    RecordingWindow? Window = null);

/// <summary>decode → analyze → render: one pass over the events, outputs written as intervals close.</summary>
public static class AnalysisPipeline
{
    /// <param name="completing">Runs after the last event, before summary.json and report.html are written: what the
    /// readers found while being read (warnings) goes into the report there, so every output shows it. Throwing
    /// there writes neither.</param>
    public static GilReport Analyze(IEnumerable<TraceEvent> events, OutputOptions outputs,
        IReadOnlyDictionary<int, string>? pythonNames = null, int? exitCode = null, AnalysisExtras? extras = null,
        Action<GilReport>? completing = null)
    {
        outputs.CreateDirectories();
        var analyzer = new GilAnalyzer();
        var (functions, sched, scope, window) = extras ?? new AnalysisExtras();
        functions?.AddThreadNames(analyzer);
        if (pythonNames is not null)
            foreach (var (tid, name) in pythonNames) analyzer.SetPythonThreadName(tid, name);
        if (window is not null) analyzer.SetRecordingWindow(window);
        using var chrome = new ChromeTraceRenderer(outputs.ChromeTracePath);
        analyzer.AddSink(chrome);
        var html = outputs.Html ? new HtmlReportRenderer(new HtmlReportOptions { Title = outputs.ReportTitle }) : null;
        if (html is not null) analyzer.AddSink(html);
        if (functions is not null) analyzer.AddSink(functions.Sink);
        SchedAnalyzer? states = null;
        if (sched)
        {
            scope ??= TaskScope.Contexts();
            states = new SchedAnalyzer(scope, analyzer);
            states.AddSink(chrome);
            if (html is not null) states.AddSink(html);
        }
        foreach (var e in events)
        {
            if (scope is not null && !scope.Admit(e)) continue;
            analyzer.Process(e);
            states?.Process(e);
        }
        var report = analyzer.Finish();
        states?.Finish(report, pythonNames);
        report.ExitCode = exitCode;
        if (functions is not null)
        {
            functions.Complete(report, outputs.OutputDir);
            functions.WriteChromeSpans(chrome, report);
            if (html is not null) functions.AddToHtmlReport(html, report, outputs.OutputDir);
        }
        chrome.Finish(report);
        completing?.Invoke(report);
        SummaryJsonRenderer.Write(report, outputs.SummaryPath);
        html?.Write(report, outputs.HtmlPath);
        return report;
    }

    /// <summary>
    /// A perf.data file read natively, with perf's EXIT records (they end a life exactly: a multiprocessing worker
    /// holding the GIL until its os._exit has no GIL event after its last take_gil), and --state's system-wide
    /// sched.data merged in by time; the readers' warnings go into the report, then whatever completing adds.
    /// </summary>
    public static GilReport AnalyzePerfData(PerfDataReader data, PerfDataReader? sched, OutputOptions outputs,
        IReadOnlyDictionary<int, string>? pythonNames, int? exitCode, AnalysisExtras extras, PipelineEvents? ev, string label,
        Action<GilReport>? completing = null) =>
        ev.Step(label, progress =>
        {
            var events = data.ReadEventsWithExits(progress);
            if (sched is not null) events = EventMerger.Merge(events, sched.ReadEvents());
            return Analyze(events, outputs, pythonNames, exitCode, extras, report =>
            {
                report.Warnings.AddRange(data.Warnings);
                if (sched is not null) report.Warnings.AddRange(sched.Warnings.Select(w => $"{System.IO.Path.GetFileName(sched.Path)}: {w}"));
                completing?.Invoke(report);
            });
        });
}
