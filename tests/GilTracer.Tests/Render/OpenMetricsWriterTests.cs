using System.Text.RegularExpressions;
using GilTracer.Core.Model;
using GilTracer.Core.Render;

namespace GilTracer.Tests.Render;

/// <summary>The /metrics text: the families the README lists, OpenMetrics' syntax, hostile names escaped, counters that never go back.</summary>
public class OpenMetricsWriterTests
{
    static ThreadSummary Thread(int tid, string name, long life, long wait, long hold) => new()
    {
        Pid = 5, Tid = tid, Name = name, StartNs = 1000, EndNs = 1000 + life, WaitNs = wait, HoldNs = hold, IsMain = tid == 5,
    };

    static GilReport Report(long wait, string name = "worker-1", long lost = 0) => new()
    {
        LostEvents = lost,
        Threads = [Thread(5, "MainThread", 4_000_000_000, 0, 1_000), Thread(6, name, 3_000_000_000, wait, 1_500_000_000)],
        Gils =
        [
            new GilSummary(5, 50, 10, 9, 1, 2, 3, 4, 5, 0, 1000, 4_000_001_000)
            {
                HeldNs = 2_000_000_000,
                Waits = new WaitHistogram(WaitHistogram.BoundsNs.Select((_, i) => (long)Math.Min(10, i * 2)).ToList(), 10, 25_000_000),
            },
        ],
    };

    // OpenMetrics text, as its ABNF has it for what we write: metadata lines, samples, the final # EOF.
    static readonly Regex Line = new(@"^(# (TYPE|UNIT|HELP) [a-z_]+ .+|[a-z_]+(\{([a-z_]+=""([^""\\\n]|\\[\\""n])*"",?)*\})? -?[0-9]+(\.[0-9]+)?(e-?[0-9]+)?|# EOF)$");

    [Fact]
    public void EveryFamilyTheReadmeListsIsThereInTheFormatsSyntax()
    {
        var text = new OpenMetricsWriter().Write(Report(1_200_000_000));
        Assert.EndsWith("# EOF\n", text);
        foreach (var line in text.TrimEnd('\n').Split('\n')) Assert.Matches(Line, line);
        Assert.Contains("giltracer_thread_seconds_total{pid=\"5\",tid=\"6\",name=\"worker-1\"} 3\n", text);
        Assert.Contains("giltracer_thread_gil_wait_seconds_total{pid=\"5\",tid=\"6\",name=\"worker-1\"} 1.2\n", text);
        Assert.Contains("giltracer_thread_gil_hold_seconds_total{pid=\"5\",tid=\"6\",name=\"worker-1\"} 1.5\n", text);
        Assert.Contains("giltracer_gil_held_seconds_total{pid=\"5\"} 2\n", text);
        Assert.Contains("giltracer_gil_acquisitions_total{pid=\"5\"} 10\n", text);
        Assert.Contains("giltracer_gil_wait_seconds_bucket{pid=\"5\",le=\"1e-05\"} 0\n", text);
        Assert.Contains("giltracer_gil_wait_seconds_bucket{pid=\"5\",le=\"1.0\"} 10\n", text);
        Assert.Contains("giltracer_gil_wait_seconds_bucket{pid=\"5\",le=\"+Inf\"} 10\n", text);
        Assert.Contains("giltracer_gil_wait_seconds_count{pid=\"5\"} 10\n", text);
        Assert.Contains("giltracer_gil_wait_seconds_sum{pid=\"5\"} 0.025\n", text);
        Assert.Contains("giltracer_lost_events_total 0\n", text);
        Assert.Contains("# TYPE giltracer_gil_wait_seconds histogram\n", text);
        Assert.Contains("# UNIT giltracer_thread_seconds seconds\n", text);
    }

    [Theory]
    [InlineData("evil\"} 1\ngiltracer_lost_events_total 0\n", "evil\\\"} 1\\ngiltracer_lost_events_total 0\\n")]
    [InlineData("back\\slash", "back\\\\slash")]
    [InlineData("\u001b[2J\u202e名前🐍", "\u001b[2J\u202e名前🐍")] // only what the format escapes: the rest is UTF-8 as it is
    public void NamesAreEscapedAsTheFormatSays(string name, string escaped)
    {
        var text = new OpenMetricsWriter().Write(Report(1, name));
        Assert.Contains($"giltracer_thread_seconds_total{{pid=\"5\",tid=\"6\",name=\"{escaped}\"}} 3\n", text);
        foreach (var line in text.TrimEnd('\n').Split('\n')) Assert.Matches(Line, line);
        Assert.Single(Regex.Matches(text, "^giltracer_lost_events_total", RegexOptions.Multiline));
    }

    [Fact]
    public void CountersNeverGoBackAndForgottenThreadsLeave()
    {
        var writer = new OpenMetricsWriter();
        writer.Write(Report(2_000_000_000, lost: 5));
        var lower = writer.Write(Report(1_000_000_000, lost: 3));
        Assert.Contains("name=\"worker-1\"} 2\n", lower);
        Assert.Contains("giltracer_lost_events_total 5\n", lower);
        var without = writer.Write(Report(1_000_000_000) with { Threads = [Thread(5, "MainThread", 5_000_000_000, 0, 1_000)] });
        Assert.DoesNotContain("tid=\"6\"", without);
        var back = writer.Write(Report(1_000_000_000));
        Assert.Contains("giltracer_thread_gil_wait_seconds_total{pid=\"5\",tid=\"6\",name=\"worker-1\"} 1\n", back); // a new series starts afresh
    }

    [Theory]
    [InlineData("9464", "127.0.0.1", 9464)]
    [InlineData("0.0.0.0:9100", "0.0.0.0", 9100)]
    [InlineData("localhost:80", "localhost", 80)]
    [InlineData("[::1]:9464", "[::1]", 9464)]
    public void EndpointsAreHostColonPort(string text, string host, int port) =>
        Assert.Equal(new MetricsEndpoint(host, port), MetricsEndpoint.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("70000")]
    [InlineData("host:")]
    [InlineData(":9464")]
    [InlineData("::1:9464")]
    [InlineData("port")]
    public void BadEndpointsAreUsageErrors(string text)
    {
        var e = Assert.Throws<GilTracerException>(() => MetricsEndpoint.Parse(text));
        Assert.Equal(2, e.ExitCode);
    }
}
