using System.Text.Json;
using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;
using GilTracer.Core.Render;
using GilTracer.Tests.Analyze;
using System.IO.Compression;

namespace GilTracer.Tests.Render;

public class TraceCombinerTests : IDisposable
{
    readonly string _tmp = Directory.CreateTempSubdirectory("giltracer-combine-").FullName;
    public void Dispose() => Directory.Delete(_tmp, true);

    /// <summary>Our Chrome trace of the real hog312 recording, with the Python function lanes.</summary>
    string OurTrace()
    {
        var path = Path.Combine(_tmp, "trace.json");
        var dir = BlameFixtures.Dir("hog312");
        var analysis = new RecordingAnalysis(new AnalysisSetup { Functions = FunctionTraceReader.Read(dir) });
        var chrome = new ChromeTraceRenderer(File.Create(path));
        analysis.AddSink(chrome);
        using (var gz = new GZipStream(File.OpenRead(Path.Combine(dir, "perf.txt.gz")), CompressionMode.Decompress))
            foreach (var e in new PerfScriptTextReader().Read(gz))
                if (analysis.Admit(e)) analysis.Process(e);
        var report = analysis.Finish(new ReportContext());
        chrome.OnFunctionCalls(analysis.Calls(report)!);
        chrome.Write(report);
        return path;
    }

    [Fact]
    public void ChromeTraceHasNestedPythonSpansBesideTheGilLanes()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(OurTrace()));
        var evs = doc.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();
        var hog = evs.Where(e => e.GetProperty("ph").GetString() == "X" && e.GetProperty("name").GetString()!.StartsWith("hog_the_gil (")).ToList();
        var span = Assert.Single(hog);
        Assert.Equal("python", span.GetProperty("cat").GetString());
        int lane = span.GetProperty("tid").GetInt32();
        Assert.True(lane > ChromeTraceRenderer.FunctionLaneOffset);
        int tid = lane - ChromeTraceRenderer.FunctionLaneOffset;
        Assert.Contains(evs, e => e.GetProperty("ph").GetString() == "M" && e.GetProperty("tid").GetInt32() == lane
                                  && e.GetProperty("args").GetProperty("name").GetString() == "hog (python)");
        // the hog's GIL lane (real tid) holds "GIL held" spans inside the function's span
        double start = span.GetProperty("ts").GetDouble(), end = start + span.GetProperty("dur").GetDouble();
        var held = evs.Where(e => e.GetProperty("ph").GetString() == "X" && e.GetProperty("tid").GetInt32() == tid
                                  && e.GetProperty("name").GetString() == "GIL held").ToList();
        Assert.NotEmpty(held);
        Assert.True(held.Sum(h => h.GetProperty("dur").GetDouble()) > 0.5 * (end - start)); // the hog holds the GIL most of the time it runs
        // spans on one lane nest: a child starts and ends inside its parent (checked on the hog's lane)
        var lanes = evs.Where(e => e.GetProperty("ph").GetString() == "X" && e.GetProperty("tid").GetInt32() == lane)
            .Select(e => (S: e.GetProperty("ts").GetDouble(), E: e.GetProperty("ts").GetDouble() + e.GetProperty("dur").GetDouble()))
            .OrderBy(x => x.S).ThenByDescending(x => x.E).ToList();
        var open = new Stack<double>();
        foreach (var (s, e) in lanes)
        {
            while (open.Count > 0 && open.Peek() <= s) open.Pop();
            if (open.Count > 0) Assert.True(e <= open.Peek() + 0.001, "improperly nested span");
            open.Push(e);
        }
    }

    [Fact]
    public void CombinesOurTraceWithAVizTracerTraceOnOneClock()
    {
        var ours = OurTrace();
        using var oursDoc = JsonDocument.Parse(File.ReadAllText(ours));
        int ourCount = oursDoc.RootElement.GetProperty("traceEvents").GetArrayLength();
        // VizTracer's JSON layout: µs "ts" of the monotonic clock, its own metadata object beside traceEvents
        var viz = Path.Combine(_tmp, "viztracer.json");
        File.WriteAllText(viz, """
            {"traceEvents":[{"pid":1,"tid":2,"ts":1000.5,"dur":10.25,"name":"f (a.py:1)","ph":"X","cat":"FEE"},
                            {"ph":"M","pid":1,"tid":2,"name":"thread_name","args":{"name":"MainThread"}}],
             "viztracer_metadata":{"version":"0.16.0","overflow":false}}
            """);
        var outPath = Path.Combine(_tmp, "out.json");
        long n = TraceCombiner.Combine([new(ours), new(viz, ShiftMicros: 2.5)], outPath);
        Assert.Equal(ourCount + 2, n);
        using var doc = JsonDocument.Parse(File.ReadAllText(outPath));
        var evs = doc.RootElement.GetProperty("traceEvents").EnumerateArray().ToList();
        Assert.Equal(ourCount + 2, evs.Count);
        var f = evs.Single(e => e.TryGetProperty("cat", out var c) && c.GetString() == "FEE");
        Assert.Equal(1003.0, f.GetProperty("ts").GetDouble());
        Assert.Equal(10.25, f.GetProperty("dur").GetDouble());
        // our events are copied exactly
        Assert.Equal(oursDoc.RootElement.GetProperty("traceEvents")[0].GetRawText(), evs[0].GetRawText());
    }

    [Fact]
    public void NotATraceIsOneClearError()
    {
        var bad = Path.Combine(_tmp, "bad.json");
        File.WriteAllText(bad, "{\"hello\": 1}");
        var e = Assert.Throws<GilTracerException>(() => TraceCombiner.Combine([new(bad)], Path.Combine(_tmp, "o.json")));
        Assert.Contains("traceEvents", e.Message);
        File.WriteAllText(bad, "not json at all");
        Assert.Throws<GilTracerException>(() => TraceCombiner.Combine([new(bad)], Path.Combine(_tmp, "o.json")));
        Assert.Throws<GilTracerException>(() => TraceCombiner.Combine([new(Path.Combine(_tmp, "missing.json"))], Path.Combine(_tmp, "o.json")));
    }
}
