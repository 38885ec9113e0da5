using GilTracer.Core.Analyze;
using GilTracer.Core.Model;
using GilTracer.Core.Render;

namespace GilTracer.Core.Pipeline;

/// <summary>decode → analyze → render: one pass over the events, outputs written as intervals close.</summary>
public static class AnalysisPipeline
{
    public static GilReport Analyze(IEnumerable<TraceEvent> events, OutputOptions outputs,
        IReadOnlyDictionary<int, string>? pythonNames = null, int? exitCode = null, RecordingWindow? window = null)
    {
        outputs.CreateDirectories();
        var analyzer = new GilAnalyzer();
        if (pythonNames is not null)
            foreach (var (tid, name) in pythonNames) analyzer.SetPythonThreadName(tid, name);
        if (window is not null) analyzer.SetRecordingWindow(window);
        using var chrome = new ChromeTraceRenderer(outputs.ChromeTracePath);
        analyzer.AddSink(chrome);
        analyzer.Process(events);
        var report = analyzer.Finish();
        report.ExitCode = exitCode;
        chrome.Finish(report);
        SummaryJsonRenderer.Write(report, outputs.SummaryPath);
        return report;
    }
}
