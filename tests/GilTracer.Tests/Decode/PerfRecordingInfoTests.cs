using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Decode;

public class PerfRecordingInfoTests
{
    [Theory]
    [InlineData("# cmdline : /usr/bin/perf record -q -a -k CLOCK_MONOTONIC -e sched:sched_switch -o x", true)]
    [InlineData("# cmdline : /usr/bin/perf record -aR -e x", true)]
    [InlineData("# cmdline : /usr/bin/perf record --all-cpus -e x", true)]
    [InlineData("# cmdline : /usr/bin/perf record -q -k CLOCK_MONOTONIC -e g:* -o x -- /usr/bin/python3 -a b.py", false)]
    [InlineData("# cmdline : /usr/bin/perf record -g -e x -- python3 t.py", false)]
    public void TellsSystemWideRecordings(string cmdline, bool systemWide) =>
        Assert.Equal(systemWide, PerfRecordingInfo.Parse("# hostname : vm\n" + cmdline + "\n").SystemWide);

    [Fact]
    public void TellsCallchains()
    {
        Assert.True(PerfRecordingInfo.Parse("# event : name = sched:sched_switch, sample_type = IP|TID|TIME|CALLCHAIN|ID\n").HasCallchains);
        Assert.False(PerfRecordingInfo.Parse("# event : name = sched:sched_switch, sample_type = IP|TID|TIME|CPU|RAW\n").HasCallchains);
    }

    [Fact]
    public void MergerKeepsTimeOrder()
    {
        TraceEvent E(long ns, int tid) => new(EventKind.TakeGil, ns, 1, tid);
        var merged = EventMerger.Merge([E(1, 1), E(5, 1), E(9, 1)], [E(2, 2), E(5, 2), E(10, 2)]).ToList();
        Assert.Equal([1L, 2, 5, 5, 9, 10], merged.Select(e => e.TimestampNs));
        Assert.Equal(1, merged[2].Tid); // ties: first stream first
    }
}
