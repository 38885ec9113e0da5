using System.Text;
using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Tests;

static class TestSupport
{
    /// <summary>Pipelines called in-process start perf and the program through the built giltracer, as the CLI does
    /// (tied to their parent's life, in their own process groups), so the tests run what users run.</summary>
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void UseTheBuiltWrapper() =>
        Core.Record.ExecWrapper.Self = [Path.Combine(AppContext.BaseDirectory, "giltracer")];

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

    /// <summary>A flame graph from folded lines ("a;b;c 12").</summary>
    public static FlameGraph Flame(string title, string folded) => new("flame", title, folded.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(l => new FoldedStack(l[..l.LastIndexOf(' ')].Split(';'), long.Parse(l[(l.LastIndexOf(' ') + 1)..]))).ToList());

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

    /// <summary>
    /// Two pure-Python workers: while both live, each waits about half the time (35–65 %), measured on the timeline
    /// (trace.json) in the window where their lives overlap; over whole lives 20–80 %. Whole lives alone would judge
    /// the machine: this VM's CPU 1 runs Python 1.8× slower than CPU 0 (8M additions: 0.95 s vs 0.50–0.57 s,
    /// taskset), so the worker that lands there finishes last and runs its tail alone, without waiting.
    /// </summary>
    public static void AssertWorkersWaitHalfWhileBothLive(IReadOnlyList<ThreadSummary> workers, IReadOnlyList<TraceSpan> spans)
    {
        Assert.Equal(2, workers.Count);
        long from = workers.Max(w => w.StartNs), to = workers.Min(w => w.EndNs);
        Assert.True(to - from > 100_000_000, $"the workers overlapped only {(to - from) / 1e6:F1} ms");
        foreach (var w in workers)
        {
            long wait = spans.Where(s => s.Tid == w.Tid && s.Name == "GIL wait")
                .Sum(s => Math.Max(0, Math.Min(s.End, to) - Math.Max(s.Start, from)));
            Assert.InRange(100.0 * wait / (to - from), 35, 65);
            Assert.InRange(w.GilWaitPct, 20, 80);
            Assert.InRange(w.HasGilPct, 20, 80);
        }
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
