using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Decode;

public class PerfRecordingInfoTests
{
    [Theory]
    [InlineData("/usr/bin/perf record -q -a -k CLOCK_MONOTONIC -e sched:sched_switch -o x", true)]
    [InlineData("/usr/bin/perf record -aR -e x", true)]
    [InlineData("/usr/bin/perf record --all-cpus -e x", true)]
    [InlineData("/usr/bin/perf record -q -k CLOCK_MONOTONIC -e g:* -o x -- /usr/bin/python3 -a b.py", false)]
    [InlineData("/usr/bin/perf record -g -e x -- python3 t.py", false)]
    public void TellsSystemWideCommandLines(string cmdline, bool systemWide) =>
        Assert.Equal(systemWide, PerfRecordingInfo.IsSystemWide(cmdline.Split(' ')));

    /// <summary>
    /// Read from the header alone, the same answers `perf report --header-only` gave ("# cmdline : … -a …",
    /// "# event : … sample_type = …|CALLCHAIN|…"), checked on every committed perf.data.
    /// </summary>
    [Theory]
    [InlineData("perfdata/gil.perf.data", false, false)]
    [InlineData("perfdata/sched.perf.data", false, false)]
    [InlineData("perfdata/lost.perf.data", false, false)]
    [InlineData("perfdata/callchain.perf.data", false, true)]
    [InlineData("run/perf.data", false, false)]
    [InlineData("run/sched.data", true, false)] // run --state's own `perf record -a`
    public void HeaderTellsHowItWasRecorded(string file, bool systemWide, bool callchains)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", file);
        Assert.Equal(new PerfRecordingInfo(systemWide, callchains), PerfRecordingInfo.Read(path));
        Assert.Equal(new PerfRecordingInfo(systemWide, callchains), new PerfDataReader(path).Recording);
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
