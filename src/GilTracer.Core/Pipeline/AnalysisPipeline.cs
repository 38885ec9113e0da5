using GilTracer.Core.Analyze;
using GilTracer.Core.Model;
using GilTracer.Core.Render;
using GilTracer.Core.Render.Html;

namespace GilTracer.Core.Pipeline;

/// <summary>decode → analyze → render: one pass over the events, outputs written as intervals close.</summary>
public static class AnalysisPipeline
{
    /// <param name="sched">Also compute kernel thread states from sched events (--state, convert sched|auto).</param>
    /// <param name="scope">Keep only these tasks' events (system-wide recordings); with sched and no scope, the tasks
    /// events were recorded in the context of (per-task recordings).</param>
    public static GilReport Analyze(IEnumerable<TraceEvent> events, OutputOptions outputs,
        IReadOnlyDictionary<int, string>? pythonNames = null, int? exitCode = null, FunctionAttribution? functions = null,
        bool sched = false, TaskScope? scope = null, RecordingWindow? window = null)
    {
        outputs.CreateDirectories();
        var analyzer = new GilAnalyzer();
        functions?.AddThreadNames(analyzer);
        if (pythonNames is not null)
            foreach (var (tid, name) in pythonNames) analyzer.SetPythonThreadName(tid, name);
        if (window is not null) analyzer.SetRecordingWindow(window);
        using var chrome = new ChromeTraceRenderer(outputs.ChromeTracePath);
        analyzer.AddSink(chrome);
        var html = outputs.Html ? new HtmlReportRenderer() : null;
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
        }
        chrome.Finish(report);
        SummaryJsonRenderer.Write(report, outputs.SummaryPath);
        html?.Write(report, outputs.HtmlPath);
        return report;
    }
}
