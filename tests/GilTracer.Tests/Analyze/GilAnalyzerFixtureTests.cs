using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;

namespace GilTracer.Tests.Analyze;

/// <summary>
/// A real 30-line recording (pyenv 3.11.7, main thread + two workers w0/w1 contending), with every number
/// worked out by hand from the timestamps in TestData/two_threads_gil.txt.
/// </summary>
public class GilAnalyzerFixtureTests
{
    static GilTracer.Core.Model.GilReport Report()
    {
        var a = new GilAnalyzer();
        using var f = File.OpenRead(TestSupport.DataPath("two_threads_gil.txt"));
        a.Process(new PerfScriptTextReader().Read(f));
        return a.Finish();
    }

    [Fact]
    public void MainThreadNumbersMatchHandComputation()
    {
        var main = Report().Thread(11016);
        Assert.True(main.IsMain);
        Assert.Equal(625_587_770_430L, main.StartNs);           // its first event, a take_gil entry
        Assert.Equal(625_591_400_162L, main.EndNs);             // the recording's last event
        // waits in take_gil while a worker held the GIL: 481536 (w0) + 595432 (w1). Its other take_gil calls found
        // the GIL free (1954, 2495 ns: no wait), and nobody waited while it was in drop_gil (4208, 2464, 3035 ns:
        // no handover): no GIL. Holds: 881025 + 418667 + 139015 (the last hold has length 0)
        Assert.Equal(0L, main.ReleaseNs);
        Assert.Equal(481_536L + 595_432, main.WaitNs);
        Assert.Equal(1_438_707L, main.HoldNs);
        Assert.Equal(3_629_732L - 1_076_968 - 1_438_707, main.NoGilNs);
        Assert.Equal(100.0 * 1_076_968 / 3_629_732, main.GilWaitPct, 6);
        Assert.Equal(100.0 * 1_438_707 / 3_629_732, main.HasGilPct, 6);
        Assert.Equal(4, main.Acquisitions);
    }

    [Fact]
    public void WorkerNumbersMatchHandComputation()
    {
        var r = Report();
        var w0 = r.Thread(11018);
        Assert.Equal(1_073_281L, w0.TotalNs);   // take_gil .588858329 → last drop_gil return .589931610
        // 442651 ns inside drop_gil while the main thread waited, sleeping until it took the GIL: waiting, not
        // holding. Its take_gil calls (7404, 2165 ns) found the GIL free, and its last drop_gil (1954 ns) had
        // nobody waiting: no GIL.
        Assert.Equal(442_651L, w0.ReleaseNs);
        Assert.Equal(442_651L, w0.WaitNs);
        Assert.Equal(525_930L + 67_408, w0.HoldNs);
        var w1 = r.Thread(11019);
        Assert.Equal(806_935L, w1.TotalNs);
        // both its drop_gil calls had the main thread waiting (37202 + 2205 ns); both take_gil calls found the GIL free
        Assert.Equal(37_202L + 2_205, w1.WaitNs);
        Assert.Equal(37_202L + 2_205, w1.ReleaseNs);
        Assert.Equal(643_873L + 85_732, w1.HoldNs);
        TestSupport.AssertInvariants(r);
    }

    [Fact]
    public void GilNumbersMatchHandComputation()
    {
        var g = Assert.Single(Report().Gils);
        Assert.Equal(11016, g.Pid);
        Assert.Equal(8, g.Acquisitions);
        Assert.Equal(5, g.Switches);            // main → w0 → main → w0 → w1 (twice) → main (twice)
        Assert.Equal(0, g.OverlapViolations);
        Assert.Equal(100.0 * (1_438_707 + 593_338 + 729_605) / 3_629_732, g.HeldPct, 6);
        Assert.Equal(595_432L, g.WaitMaxNs);
        Assert.Equal(881_025L, g.LongestHoldNs);
    }
}
