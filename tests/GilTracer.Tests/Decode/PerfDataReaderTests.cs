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
    public void HeaderGivesEventNamesAndClock()
    {
        var reader = new PerfDataReader(Fixture("sched.perf.data"));
        Assert.Contains("sched:sched_switch", reader.EventNames);
        Assert.Contains(reader.EventNames, n => n.StartsWith("giltracer_", StringComparison.Ordinal) && n.EndsWith(":take_gil_ret", StringComparison.Ordinal));
        Assert.Equal(1, reader.ClockId); // recorded with -k CLOCK_MONOTONIC
        Assert.Empty(reader.Warnings);
        Assert.False(reader.HasCallchains);
        Assert.True(new PerfDataReader(Fixture("callchain.perf.data")).HasCallchains);
    }

    [Fact]
    public void CommandLineIsTheOnePerfReportShows()
    {
        // perf report --header-only -i sched.perf.data: "# cmdline : /usr/bin/perf record -q -D 200 -k CLOCK_MONOTONIC -e giltracer_7370:* …"
        var cmd = new PerfDataReader(Fixture("sched.perf.data")).CommandLine;
        Assert.NotNull(cmd);
        Assert.StartsWith("/usr/bin/perf record -q -D 200 -k CLOCK_MONOTONIC -e giltracer_", cmd);
        Assert.EndsWith("two_threads_short.py spin 0.01", cmd);
    }

    [Fact]
    public void SchedSwitchCarriesPrevStateAndNextThread()
    {
        var switches = PerfDataReader.Read(Fixture("sched.perf.data")).Where(e => e.Kind == EventKind.SchedSwitch).ToList();
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
    public void CallchainsOfSchedSamplesReachTheInspectorAndAreSkippedOtherwise()
    {
        var reader = new PerfDataReader(Fixture("callchain.perf.data"));
        int calls = 0;
        reader.Callchains = (pid, tid, ips) =>
        {
            calls++;
            // a sched tracepoint fires in the kernel: the chain starts with PERF_CONTEXT_KERNEL (-128)
            Assert.Equal(unchecked((ulong)-128L), ips[0]);
            return ips.Length > 3;
        };
        var events = reader.ReadEvents().ToList();
        int sched = events.Count(e => e.Kind is EventKind.SchedSwitch or EventKind.SchedWakeup or EventKind.SchedWakeupNew);
        Assert.Equal(sched, calls);
        Assert.Contains(events, e => e.StackHasTakeGil);
        Assert.DoesNotContain(events, e => e.StackHasTakeGil && e.Kind == EventKind.TakeGil);
    }

    [Fact]
    public void ProgressEndsAtOne()
    {
        var seen = new List<double>();
        var progress = new SynchronousProgress(seen.Add);
        _ = PerfDataReader.Read(Fixture("lost.perf.data"), progress).Count();
        Assert.Equal(1.0, seen[^1]);
        Assert.True(seen.SequenceEqual(seen.Order()), "progress never goes back");
    }

    [Fact]
    public void SniffsPerfDataByMagic()
    {
        Assert.True(PerfDataReader.IsPerfData(Fixture("gil.perf.data")));
        Assert.False(PerfDataReader.IsPerfData(Fixture("gil.script.txt")));
        Assert.False(PerfDataReader.IsPerfData(Fixture("does-not-exist.perf.data")));
    }

    private sealed class SynchronousProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
