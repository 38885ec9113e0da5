using GilTracer.Core.Analyze;
using GilTracer.Core.Model;
using GilTracer.Tests.Decode;

namespace GilTracer.Tests.Analyze;

/// <summary>
/// Running totals while events still stream in (for a live view): a snapshot is the report Finish would give if the
/// recording stopped there, open waits and holds counted up to the watermark, and taking one changes nothing.
/// </summary>
public class GilAnalyzerSnapshotTests
{
    static void AssertSameReport(GilReport expected, GilReport actual) => PerfDataVsTextReaderTests.AssertSameReports(expected, actual);

    [Fact]
    public void ASnapshotMidStreamIsFinishOfTheStreamCutThere()
    {
        var events = TestSupport.ReadText(File.ReadAllText(TestSupport.DataPath("two_threads_gil.txt")));
        var live = new GilAnalyzer();
        for (int cut = 1; cut <= events.Count; cut++)
        {
            live.Process(events[cut - 1]);
            var cutStream = new GilAnalyzer();
            cutStream.Process(events.Take(cut));
            AssertSameReport(cutStream.Finish(), live.Snapshot(events[cut - 1].TimestampNs));
        }
        // snapshots changed nothing: the end is the same as without them
        var whole = new GilAnalyzer();
        whole.Process(events);
        AssertSameReport(whole.Finish(), live.Finish());
    }

    static string Line(int tid, long ns, string probe) => $"python 5/{tid} [000] 0.{ns:D9}: g:{probe}: (1)\n";

    [Fact]
    public void OpenWaitsAndHoldsCountUpToTheWatermark()
    {
        // 6 takes the GIL at 1100 and holds it; 7 starts waiting at 1200; nothing closes either
        var a = new GilAnalyzer();
        a.Process(TestSupport.ReadText(Line(6, 1000, "take_gil") + Line(6, 1100, "take_gil_ret") + Line(7, 1200, "take_gil")));
        var at5000 = a.Snapshot(5000);
        Assert.Equal(3900, at5000.Thread(6).HoldNs);
        Assert.Equal(3800, at5000.Thread(7).WaitNs);
        Assert.Equal(5000, at5000.Thread(7).EndNs);
        Assert.Equal(5000, at5000.EndNs);
        Assert.Equal(3900, at5000.Gils[0].LongestHoldNs);

        var at6000 = a.Snapshot(6000);
        Assert.Equal(4900, at6000.Thread(6).HoldNs);
        Assert.Equal(4800, at6000.Thread(7).WaitNs);

        // the hold ends at 7000 and 7 takes over: closed intervals no longer move with the watermark
        a.Process(TestSupport.ReadText(Line(6, 7000, "drop_gil") + Line(7, 7100, "take_gil_ret") + Line(6, 7200, "drop_gil_ret")));
        var at9000 = a.Snapshot(9000);
        Assert.Equal(5900, at9000.Thread(6).HoldNs);
        Assert.Equal(5900, at9000.Thread(7).WaitNs);
        Assert.Equal(1900, at9000.Thread(7).HoldNs); // open since 7100
        Assert.Equal(7200, at9000.Thread(6).EndNs);  // no GIL since its last event: its life ends there, as in Finish
    }
}
