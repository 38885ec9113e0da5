using GilTracer.Core.Analyze;
using GilTracer.Core.Model;
using GilTracer.Core.Render;
using GilTracer.Core.Render.Html;

namespace GilTracer.Core.Pipeline;

/// <summary>decode → analyze → render: one pass over the events, outputs written as intervals close.</summary>
public static class AnalysisPipeline
{
    public static GilReport Analyze(IEnumerable<TraceEvent> events, OutputOptions outputs,
        IReadOnlyDictionary<int, string>? pythonNames = null, int? exitCode = null, FunctionAttribution? functions = null)
    {
        outputs.CreateDirectories();
        var analyzer = new GilAnalyzer();
        functions?.AddThreadNames(analyzer);
        if (pythonNames is not null)
            foreach (var (tid, name) in pythonNames) analyzer.SetPythonThreadName(tid, name);
        using var chrome = new ChromeTraceRenderer(outputs.ChromeTracePath);
        analyzer.AddSink(chrome);
        var html = outputs.Html ? new HtmlReportRenderer() : null;
        if (html is not null) analyzer.AddSink(html);
        if (functions is not null) analyzer.AddSink(functions.Sink);
        analyzer.Process(events);
        var report = analyzer.Finish();
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
