using System.IO.Compression;
using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Analyze;

/// <summary>Real recordings of examples/hog_the_gil.py 0.3 (perf uprobes + the function tracer), run through the real pipeline.</summary>
static class BlameFixtures
{
    public static string Dir(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "functions", name);

    public static (GilReport Report, BlameResult Blame, FunctionTimeline Timeline) Analyze(string name)
    {
        var trace = FunctionTraceReader.Read(Dir(name));
        var timeline = FunctionTimeline.Build(trace);
        var analyzer = new GilAnalyzer();
        foreach (var (tid, n) in trace.ThreadNames) analyzer.SetPythonThreadName(tid, n);
        var blame = new BlameAnalyzer();
        analyzer.AddSink(blame);
        using (var gz = new GZipStream(File.OpenRead(Path.Combine(Dir(name), "perf.txt.gz")), CompressionMode.Decompress))
            analyzer.Process(new PerfScriptTextReader().Read(gz));
        var report = analyzer.Finish();
        var names = report.Threads.ToDictionary(t => t.Tid, t => t.Name);
        var result = blame.Finish(timeline, tid => names.GetValueOrDefault(tid, tid.ToString()));
        return (report, result, timeline);
    }
}
