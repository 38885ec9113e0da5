using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using GilTracer.Core.Analyze;
using GilTracer.Core.Model;
using GilTracer.Core.Render;
using GilTracer.Tests.Analyze;

namespace GilTracer.Tests.Render;

/// <summary>
/// The /metrics text (written by prometheus-net): the families top serves, OpenMetrics' syntax, hostile names escaped,
/// counters that never go back, series of forgotten threads and processes removed, the wait histogram as the analyzer
/// counts it.
/// </summary>
public class LiveMetricsTests
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    static ThreadSummary Thread(int tid, string name, long life, long wait, long hold) => new()
    {
        Pid = 5, Tid = tid, Name = name, StartNs = 1000, EndNs = 1000 + life, WaitNs = wait, HoldNs = hold, IsMain = tid == 5,
    };

    static GilReport Report(long wait, string name = "worker-1", long lost = 0) => new()
    {
        LostEvents = lost,
        Threads = [Thread(5, "MainThread", 4_000_000_000, 0, 1_000), Thread(6, name, 3_000_000_000, wait, 1_500_000_000)],
        Gils = [new GilSummary(5, 50, 10, 9, 1, 2, 3, 4, 5, 0, 1000, 4_000_001_000) { HeldNs = 2_000_000_000 }],
    };

    /// <summary>Ten acquisitions of pid 5's GIL, 25.001 ms of wait in all.</summary>
    static readonly long[] WaitsNs = [0, 0, 10_000, 1_000, 2_500_000, 2_500_000, 5_000_000, 5_000_000, 5_000_000, 4_990_000];

    static LiveMetrics Observed()
    {
        var metrics = new LiveMetrics();
        foreach (var wait in WaitsNs) ((IIntervalSink)metrics).OnAcquisition(5, wait);
        return metrics;
    }

    static string Text(LiveMetrics metrics, bool openMetrics = true) => Encoding.UTF8.GetString(metrics.Export(openMetrics));

    static string Write(LiveMetrics metrics, GilReport report)
    {
        metrics.Update(report);
        return Text(metrics);
    }

    // OpenMetrics text, as its ABNF has it for what we serve: metadata lines, samples, the final # EOF.
    static readonly Regex Line = new(@"^(# (TYPE|HELP) [a-z_]+ .+|[a-z_]+(\{([a-z_]+=""([^""\\\n]|\\[\\""n])*"",?)*\})? -?[0-9]+(\.[0-9]+)?(e[-+]?[0-9]+)?|# EOF)$");

    static void AssertSyntax(string text)
    {
        Assert.EndsWith("# EOF\n", text);
        foreach (var line in text.TrimEnd('\n').Split('\n')) Assert.Matches(Line, line);
    }

    [Fact]
    public void EveryFamilyIsThereInOpenMetricsSyntax()
    {
        var text = Write(Observed(), Report(1_200_000_000));
        AssertSyntax(text);
        Assert.Contains("# TYPE giltracer_thread_seconds counter\n", text);
        Assert.Contains("giltracer_thread_seconds_total{pid=\"5\",tid=\"6\",name=\"worker-1\"} 3.0\n", text);
        Assert.Contains("giltracer_thread_gil_wait_seconds_total{pid=\"5\",tid=\"6\",name=\"worker-1\"} 1.2\n", text);
        Assert.Contains("giltracer_thread_gil_hold_seconds_total{pid=\"5\",tid=\"6\",name=\"worker-1\"} 1.5\n", text);
        Assert.Contains("giltracer_gil_held_seconds_total{pid=\"5\"} 2.0\n", text);
        Assert.Contains("giltracer_gil_acquisitions_total{pid=\"5\"} 10.0\n", text);
        Assert.Contains("# TYPE giltracer_gil_wait_seconds histogram\n", text);
        // the bounds of WaitHistogram.BoundsNs, canonical as OpenMetrics wants numbers in labels ("1.0", not "1")
        Assert.Contains("giltracer_gil_wait_seconds_bucket{pid=\"5\",le=\"1e-05\"} 4\n", text);
        Assert.Contains("giltracer_gil_wait_seconds_bucket{pid=\"5\",le=\"0.0001\"} 4\n", text);
        Assert.Contains("giltracer_gil_wait_seconds_bucket{pid=\"5\",le=\"0.0025\"} 6\n", text);
        Assert.Contains("giltracer_gil_wait_seconds_bucket{pid=\"5\",le=\"0.005\"} 10\n", text);
        Assert.Contains("giltracer_gil_wait_seconds_bucket{pid=\"5\",le=\"1.0\"} 10\n", text);
        Assert.Contains("giltracer_gil_wait_seconds_bucket{pid=\"5\",le=\"10.0\"} 10\n", text);
        Assert.Contains("giltracer_gil_wait_seconds_bucket{pid=\"5\",le=\"+Inf\"} 10\n", text);
        Assert.Equal(WaitHistogram.BoundsNs.Count + 1, Regex.Matches(text, "^giltracer_gil_wait_seconds_bucket", RegexOptions.Multiline).Count);
        Assert.Contains("giltracer_gil_wait_seconds_count{pid=\"5\"} 10\n", text);
        // the sum of the waits themselves (a running sum of doubles: exact to rounding)
        Assert.InRange(Sum(text, 5), 0.025001 - 1e-15, 0.025001 + 1e-15);
        Assert.Contains("giltracer_lost_events_total 0.0\n", text);
    }

    static double Sum(string text, int pid) =>
        double.Parse(Regex.Match(text, $@"^giltracer_gil_wait_seconds_sum\{{pid=""{pid}""\}} (\S+)$", RegexOptions.Multiline).Groups[1].Value, Inv);

    [Fact]
    public void ScrapersThatDoNotAskForOpenMetricsGetPrometheusText()
    {
        var metrics = Observed();
        metrics.Update(Report(1_200_000_000));
        var text = Text(metrics, openMetrics: false);
        Assert.DoesNotContain("# EOF", text);
        Assert.Contains("# TYPE giltracer_thread_seconds_total counter\n", text);
        Assert.Contains("giltracer_thread_seconds_total{pid=\"5\",tid=\"6\",name=\"worker-1\"} 3\n", text);
        Assert.Contains("giltracer_gil_wait_seconds_bucket{pid=\"5\",le=\"1\"} 10\n", text);
    }

    [Theory]
    [InlineData("evil\"} 1\ngiltracer_lost_events_total 0\n", "evil\\\"} 1\\ngiltracer_lost_events_total 0\\n")]
    [InlineData("back\\slash", "back\\\\slash")]
    [InlineData("\u001b[2J\u202e名前🐍", "\u001b[2J\u202e名前🐍")] // only what the format escapes: the rest is UTF-8 as it is
    public void NamesAreEscapedAsTheFormatSays(string name, string escaped)
    {
        var text = Write(Observed(), Report(1, name));
        Assert.Contains($"giltracer_thread_seconds_total{{pid=\"5\",tid=\"6\",name=\"{escaped}\"}} 3.0\n", text);
        AssertSyntax(text);
        Assert.Single(Regex.Matches(text, "^giltracer_lost_events_total", RegexOptions.Multiline));
    }

    [Fact]
    public void CountersNeverGoBackAndForgottenThreadsAndProcessesLeave()
    {
        var metrics = Observed();
        Write(metrics, Report(2_000_000_000, lost: 5));
        var lower = Write(metrics, Report(1_000_000_000, lost: 3));
        Assert.Contains("giltracer_thread_gil_wait_seconds_total{pid=\"5\",tid=\"6\",name=\"worker-1\"} 2.0\n", lower);
        Assert.Contains("giltracer_lost_events_total 5.0\n", lower);

        var without = Write(metrics, Report(1_000_000_000) with { Threads = [Thread(5, "MainThread", 5_000_000_000, 0, 1_000)] });
        Assert.DoesNotContain("tid=\"6\"", without);
        var back = Write(metrics, Report(1_000_000_000));
        Assert.Contains("giltracer_thread_gil_wait_seconds_total{pid=\"5\",tid=\"6\",name=\"worker-1\"} 1.0\n", back); // a new series starts afresh

        // a thread whose Python name comes later is a new series; the one under its old name leaves
        var renamed = Write(metrics, Report(1_000_000_000, name: "renamed"));
        Assert.DoesNotContain("worker-1", renamed);
        Assert.Contains("giltracer_thread_gil_wait_seconds_total{pid=\"5\",tid=\"6\",name=\"renamed\"} 1.0\n", renamed);

        // a process the analysis forgot: its GIL's series leave, the histogram's too; its next acquisition starts afresh
        var gone = Write(metrics, Report(1_000_000_000) with { Gils = [] });
        Assert.DoesNotMatch(new Regex("^giltracer_gil_", RegexOptions.Multiline), gone);
        AssertSyntax(gone);
        ((IIntervalSink)metrics).OnAcquisition(5, 3_000);
        var again = Write(metrics, Report(1_000_000_000));
        Assert.Contains("giltracer_gil_wait_seconds_count{pid=\"5\"} 1\n", again);
        Assert.Contains("giltracer_gil_held_seconds_total{pid=\"5\"} 2.0\n", again);
    }

    [Fact]
    public void TheWaitHistogramIsTheAnalyzersAtEverySnapshotOfARealRecording()
    {
        const long Ms = 1_000_000;
        var events = TestSupport.ReadText(File.ReadAllText(TestSupport.DataPath("two_threads_gil.txt"))).Where(e => e.TimestampNs > 0).ToList();
        long start = events[0].TimestampNs, end = events[^1].TimestampNs;
        var live = new LiveAnalysis(new AnalysisSetup(), start, Ms / 2);
        var metrics = new LiveMetrics();
        live.AddSink(metrics);
        int compared = 0;
        LiveAnalysisTests.Drive(live, events, end + 1, l =>
        {
            var report = l.Snapshot();
            var text = Write(metrics, report);
            AssertSyntax(text);
            foreach (var g in report.Gils)
            {
                var h = g.Waits!;
                if (h.Count == 0) continue; // no acquisition observed yet: no series
                var buckets = Regex.Matches(text, $@"^giltracer_gil_wait_seconds_bucket\{{pid=""{g.Pid}"",le=""[^""]+""\}} (\d+)$", RegexOptions.Multiline)
                    .Select(m => long.Parse(m.Groups[1].Value, Inv)).ToList();
                Assert.Equal(h.CumulativeCounts.Append(h.Count), buckets);
                Assert.Contains($"giltracer_gil_wait_seconds_count{{pid=\"{g.Pid}\"}} {h.Count}\n", text);
                Assert.InRange(Sum(text, g.Pid), h.SumNs / 1e9 * (1 - 1e-12), h.SumNs / 1e9 * (1 + 1e-12));
                compared++;
            }
        });
        Assert.True(compared > 4, $"{compared} snapshots compared");
    }
}
