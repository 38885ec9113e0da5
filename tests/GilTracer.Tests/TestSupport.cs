using System.Text;
using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Tests;

static class TestSupport
{
    public static string DataPath(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", name);

    public static List<TraceEvent> ReadText(string text, PerfScriptTextReader? reader = null) =>
        (reader ?? new PerfScriptTextReader()).Read(new MemoryStream(Encoding.UTF8.GetBytes(text))).ToList();

    public static GilReport Analyze(string text)
    {
        var a = new GilAnalyzer();
        a.Process(ReadText(text));
        return a.Finish();
    }

    public static ThreadSummary Thread(this GilReport r, int tid) => r.Threads.Single(t => t.Tid == tid);

    /// <summary>A percentage cell of the report's tables: its data-value is summary.json's number, its text that
    /// number with one decimal (JS toFixed rounds the exact binary value: 99.85 shows as 99.8).</summary>
    public static void AssertShownPct(System.Text.Json.JsonElement cell, double expected)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        Assert.Equal(expected, double.Parse(cell.GetProperty("value").GetString()!, culture));
        var text = cell.GetProperty("text").GetString()!;
        Assert.EndsWith(" %", text);
        Assert.InRange(double.Parse(text[..^2], culture), expected - 0.0501, expected + 0.0501);
    }

    public sealed record TraceSpan(string Name, int Tid, long Start, long End);

    /// <summary>The complete ("X") spans of a Chrome trace, in ns.</summary>
    public static List<TraceSpan> ReadTraceSpans(string path)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        var spans = new List<TraceSpan>();
        foreach (var e in doc.RootElement.GetProperty("traceEvents").EnumerateArray())
        {
            if (e.GetProperty("ph").GetString() != "X") continue;
            long start = (long)Math.Round(e.GetProperty("ts").GetDouble() * 1000), dur = (long)Math.Round(e.GetProperty("dur").GetDouble() * 1000);
            spans.Add(new TraceSpan(e.GetProperty("name").GetString()!, e.GetProperty("tid").GetInt32(), start, start + dur));
        }
        return spans;
    }

    /// <summary>Invariants every report must satisfy.</summary>
    public static void AssertInvariants(GilReport r)
    {
        foreach (var t in r.Threads)
        {
            Assert.InRange(t.NoGilPct + t.HasGilPct + t.GilWaitPct, 99.9, 100.1);
            Assert.InRange(t.NoGilPct, -0.001, 100.001);
            Assert.InRange(t.HasGilPct, -0.001, 100.001);
            Assert.InRange(t.GilWaitPct, -0.001, 100.001);
        }
        foreach (var g in r.Gils) Assert.InRange(g.HeldPct, 0, 100.001);
    }
}
