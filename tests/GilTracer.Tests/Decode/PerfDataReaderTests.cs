using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Decode;

/// <summary>
/// The perf.data reader against perf's own decoding of the same small real recordings
/// (TestData/perfdata/*.perf.data and the `perf script` text beside each; make_fixtures.sh re-creates both).
/// </summary>
public class PerfDataReaderTests
{
    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "perfdata", name);

    [Theory]
    [InlineData("gil")]
    [InlineData("sched")]
    [InlineData("lost")]
    [InlineData("callchain")]
    public void SameEventsAsPerfScriptInTheSameOrder(string name)
    {
        var expected = PerfScriptOracle.Parse(File.ReadLines(Fixture(name + ".script.txt")));
        var actual = new PerfDataReader(Fixture(name + ".perf.data")) { IncludeTaskEvents = true }.ReadEvents().ToList();
        Assert.NotEmpty(expected);
        for (int i = 0; i < Math.Min(expected.Count, actual.Count); i++)
            Assert.True(expected[i] == actual[i], $"event {i}: expected {expected[i]}, got {actual[i]}");
        Assert.Equal(expected.Count, actual.Count);
    }

    [Fact]
    public void GilRecordingHasBalancedProbeEventsOfTwoWorkerThreads()
    {
        var events = new PerfDataReader(Fixture("gil.perf.data")) { IncludeTaskEvents = true }.ReadEvents().ToList();
        var gil = events.Where(e => e.Kind <= EventKind.DropGilReturn).ToList();
        // main thread + worker-0 + worker-1, all of one process
        Assert.Equal(3, gil.Select(e => e.Tid).Distinct().Count());
        Assert.Single(gil.Select(e => e.Pid).Distinct());
        Assert.Equal(gil.Count(e => e.Kind == EventKind.TakeGil), gil.Count(e => e.Kind == EventKind.TakeGilReturn));
        Assert.InRange(gil.Count(e => e.Kind == EventKind.DropGil), gil.Count(e => e.Kind == EventKind.DropGilReturn) - 1, gil.Count(e => e.Kind == EventKind.DropGilReturn) + 1);
        // timestamps are CLOCK_MONOTONIC ns and never go backwards
        for (int i = 1; i < events.Count; i++) Assert.True(events[i].TimestampNs >= events[i - 1].TimestampNs || events[i].TimestampNs == 0 || events[i - 1].TimestampNs == 0, $"event {i} goes back in time");
        Assert.Contains(events, e => e.Kind == EventKind.Comm && e.Comm == "python3.11");
        Assert.Equal(2, events.Count(e => e.Kind == EventKind.Fork && e.ChildPid == e.Pid)); // two threads created
    }

    [Fact]
    public void HeaderTellsWhichEventsAreRecorded()
    {
        // EVENT_DESC names (giltracer_7370:take_gil_ret, sched:sched_switch, …) map to the kinds the reader decodes.
        var reader = new PerfDataReader(Fixture("sched.perf.data"));
        Assert.True(reader.HasGilEvents);
        Assert.True(reader.HasSchedEvents);
        Assert.Empty(reader.Warnings);
        Assert.False(new PerfDataReader(Fixture("gil.perf.data")).HasSchedEvents);
    }

    [Fact]
    public void SchedSwitchCarriesPrevStateAndNextThread()
    {
        var switches = new PerfDataReader(Fixture("sched.perf.data")).ReadEvents().Where(e => e.Kind == EventKind.SchedSwitch).ToList();
        Assert.Contains(switches, e => e.State == ThreadRunState.Sleeping);
        Assert.Contains(switches, e => e.State == ThreadRunState.Runnable);
        Assert.All(switches, e => Assert.NotEqual(e.Tid, e.NextTid));
    }

    [Fact]
    public void LostEventsAreCountedOnceFromLostRecords()
    {
        var reader = new PerfDataReader(Fixture("lost.perf.data"));
        var lost = reader.ReadEvents().Where(e => e.Kind == EventKind.Lost).ToList();
        // perf script --show-lost-events prints one PERF_RECORD_LOST of 18; perf also wrote LOST_SAMPLES 4+4+5+5
        // per event at the end: the same 18, not 18 more.
        Assert.Equal(18, lost.Sum(e => e.LostCount));
        Assert.Equal(18, reader.LostEvents);
    }

    [Fact]
    public void ProgressEndsAtOne()
    {
        var seen = new List<double>();
        var progress = new SynchronousProgress(seen.Add);
        _ = new PerfDataReader(Fixture("lost.perf.data")).ReadEvents(progress).Count();
        Assert.Equal(1.0, seen[^1]);
        Assert.True(seen.SequenceEqual(seen.Order()), "progress never goes back");
    }

    [Fact]
    public void SniffsPerfDataByMagicInEitherByteOrder()
    {
        Assert.True(PerfDataFormat.IsPerfData(Fixture("gil.perf.data")));
        Assert.False(PerfDataFormat.IsPerfData(Fixture("gil.script.txt")));
        Assert.False(PerfDataFormat.IsPerfData(Fixture("does-not-exist.perf.data")));
        var bigEndian = Path.Combine(Integration.Repo.TempDir(), "be.perf.data");
        File.WriteAllBytes(bigEndian, [.. "2ELIFREP"u8, .. new byte[96]]);
        Assert.True(PerfDataFormat.IsPerfData(bigEndian));
        var e = Assert.Throws<GilTracerException>(() => new PerfDataReader(bigEndian));
        Assert.Contains("big-endian perf.data is not supported", e.Message);
    }

    private sealed class SynchronousProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
