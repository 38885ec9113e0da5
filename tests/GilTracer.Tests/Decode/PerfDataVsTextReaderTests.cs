using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Decode;

/// <summary>
/// The two ways into the analyzer agree: the perf.data reader on a recording and the text reader on
/// `perf script`'s text of the same recording give the same events and the same summary numbers exactly.
/// </summary>
public class PerfDataVsTextReaderTests
{
    /// <summary>Lost events carry a time and thread in perf.data, not in perf script's text: compare their counts only.</summary>
    internal static TraceEvent Normalize(TraceEvent e) => e.Kind == EventKind.Lost ? new TraceEvent(EventKind.Lost, 0, 0, 0) { LostCount = e.LostCount } : e;

    internal static void AssertSameStreams(IReadOnlyList<TraceEvent> text, IReadOnlyList<TraceEvent> data)
    {
        Assert.NotEmpty(text);
        for (int i = 0; i < Math.Min(text.Count, data.Count); i++)
            Assert.True(Normalize(text[i]) == Normalize(data[i]), $"event {i}: text reader {text[i]}, perf.data reader {data[i]}");
        Assert.Equal(text.Count, data.Count);
    }

    internal static void AssertSameReports(GilReport text, GilReport data)
    {
        Assert.Equal(text.EventCount, data.EventCount);
        Assert.Equal(text.LostEvents, data.LostEvents);
        Assert.Equal(text.DuplicateEvents, data.DuplicateEvents);
        Assert.Equal(text.StartNs, data.StartNs);
        Assert.Equal(text.EndNs, data.EndNs);
        Assert.Equal(text.Gils, data.Gils);
        Assert.Equal(text.Threads, data.Threads);
        Assert.Equal(text.Warnings, data.Warnings);
    }

    internal static GilReport Analyze(IEnumerable<TraceEvent> events)
    {
        var a = new GilAnalyzer();
        a.Process(events);
        return a.Finish();
    }

    [Theory]
    [InlineData("gil")]
    [InlineData("sched")]
    [InlineData("lost")]
    [InlineData("callchain")]
    public void SameEventsAndSameSummaryAsTheTextReader(string name)
    {
        using var f = File.OpenRead(PerfDataReaderTests.Fixture(name + ".script.txt"));
        var text = new PerfScriptTextReader().Read(f).ToList();
        var data = new PerfDataReader(PerfDataReaderTests.Fixture(name + ".perf.data")).ReadEventsWithExits().ToList();
        AssertSameStreams(text, data);
        var report = Analyze(data);
        AssertSameReports(Analyze(text), report);
        Assert.NotEmpty(report.Threads);
        TestSupport.AssertInvariants(report);
    }

    [Fact]
    public void DefaultStreamHasNoTaskRecordsButNamesEverySample()
    {
        var events = new PerfDataReader(PerfDataReaderTests.Fixture("gil.perf.data")).ReadEvents().ToList();
        Assert.DoesNotContain(events, e => e.Kind is EventKind.Comm or EventKind.Fork or EventKind.Exit);
        Assert.All(events, e => Assert.Equal("python3.11", e.Comm));
    }
}
