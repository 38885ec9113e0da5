using GilTracer.Core.Model;

namespace GilTracer.Tests.Analyze;

/// <summary>What crashes per4m (its issues #5, #7; CPython gh-87135) must not crash us, and must be counted right.</summary>
public class GilAnalyzerEdgeCaseTests
{
    static string L(int tid, double sec, string ev) => $"python3 100/{tid} [000] {sec:F9}: giltracer_1_1:{ev}: (1)\n";

    [Fact]
    public void DuplicatedEventsAreDroppedAndCounted()
    {
        var r = TestSupport.Analyze(L(100, 1.0, "take_gil") + L(100, 1.0, "take_gil") + L(100, 1.1, "take_gil_ret") +
                                    L(100, 1.1, "take_gil_ret") + L(100, 1.3, "drop_gil") + L(100, 1.4, "drop_gil_ret"));
        Assert.Equal(2, r.DuplicateEvents);
        var t = r.Thread(100);
        Assert.Equal(0L, t.WaitNs); // alone: taking a free GIL, and releasing it with nobody waiting, are no wait
        Assert.Equal(200_000_000L, t.HoldNs);
        Assert.Equal(1, t.Acquisitions);
        Assert.Contains(r.Warnings, w => w.Contains("duplicated"));
    }

    [Fact]
    public void DaemonParkedInTakeGilWaitsUntilTheProcessEnds()
    {
        // Thread 101 enters take_gil at 1.2 and never returns (shutdown); the main thread goes on until 2.0.
        var r = TestSupport.Analyze(L(100, 1.0, "take_gil") + L(100, 1.0001, "take_gil_ret") +
                                    L(101, 1.2, "take_gil") + L(100, 2.0, "drop_gil"));
        var d = r.Thread(101);
        Assert.Equal(800_000_000L, d.WaitNs);
        Assert.Equal(100.0, d.GilWaitPct, 6);
        TestSupport.AssertInvariants(r);
    }

    [Fact]
    public void DropGilInsideTakeGilAtFinalizationEndsTheWait()
    {
        // take_gil → drop_gil (finalizing: the thread must exit) → drop_gil return, no take_gil return.
        var r = TestSupport.Analyze(L(100, 1.0, "take_gil") + L(100, 1.0001, "take_gil_ret") + L(101, 1.1, "take_gil") +
                                    L(100, 1.2, "drop_gil") + L(101, 1.2001, "drop_gil") + L(101, 1.2002, "drop_gil_ret") +
                                    L(100, 1.3, "drop_gil_ret"));
        var t = r.Thread(101);
        Assert.Equal(100_100_000L, t.WaitNs); // in take_gil while 100 held; the drop_gil it called had nobody waiting
        Assert.Equal(0L, t.HoldNs);
        Assert.Equal(0, t.Acquisitions);
        TestSupport.AssertInvariants(r);
    }

    [Fact]
    public void RecordingThatStartsInsideAHoldOrWaitIsClippedToItsStart()
    {
        // Recording starts at 1.0; thread 101's first event is a drop (it held since before), 102's a return (it waited).
        var r = TestSupport.Analyze(L(100, 1.0, "take_gil") + L(101, 1.5, "drop_gil") + L(101, 1.6, "drop_gil_ret") +
                                    L(102, 1.7, "take_gil_ret") + L(102, 1.9, "drop_gil") + L(100, 2.0, "take_gil_ret"));
        Assert.Equal(500_000_000L, r.Thread(101).HoldNs);
        Assert.Equal(1_000_000_000L, r.Thread(100).WaitNs);
        Assert.Equal(700_000_000L, r.Thread(102).WaitNs);
        Assert.Equal(200_000_000L, r.Thread(102).HoldNs);
        TestSupport.AssertInvariants(r);
    }

    [Fact]
    public void ThreadSeenOnceHasZeroLengthLifeAndNoNaN()
    {
        var r = TestSupport.Analyze(L(100, 1.0, "take_gil") + L(100, 1.1, "take_gil_ret") + L(105, 1.05, "drop_gil_ret"));
        var t = r.Thread(105);
        Assert.False(double.IsNaN(t.NoGilPct));
        TestSupport.AssertInvariants(r);
    }

    [Fact]
    public void OverlappingHoldsAreCountedNotHidden()
    {
        var r = TestSupport.Analyze(L(100, 1.0, "take_gil") + L(100, 1.1, "take_gil_ret") + L(101, 1.2, "take_gil") +
                                    L(101, 1.3, "take_gil_ret") + L(100, 1.4, "drop_gil") + L(101, 1.5, "drop_gil"));
        Assert.Equal(1, r.Gils[0].OverlapViolations);
        Assert.Contains(r.Warnings, w => w.Contains("another thread still held it"));
    }

    [Fact]
    public void EmptyInputGivesEmptyReport()
    {
        var r = TestSupport.Analyze("");
        Assert.Empty(r.Threads);
        Assert.Empty(r.Gils);
    }

    [Fact]
    public void IntervalsStreamToSinksInOrderOfClosing()
    {
        var sink = new CollectingSink();
        var a = new GilTracer.Core.Analyze.GilAnalyzer();
        a.AddSink(sink);
        a.Process(TestSupport.ReadText(L(100, 1.0, "take_gil") + L(100, 1.1, "take_gil_ret") + L(100, 1.3, "drop_gil") + L(100, 1.4, "drop_gil_ret")));
        a.Finish();
        // alone, the take_gil and drop_gil calls stream as no GIL, as the table counts them
        Assert.Equal([GilState.NoGil, GilState.Hold, GilState.NoGil], sink.Intervals.Select(i => i.State));
        Assert.Equal([1, 0], sink.Waiters);
    }

    sealed class CollectingSink : IIntervalSink
    {
        public List<GilInterval> Intervals { get; } = new();
        public List<int> Waiters { get; } = new();
        public void OnGilInterval(in GilInterval interval) => Intervals.Add(interval);
        public void OnWaitersChanged(int pid, long timestampNs, int waiting) => Waiters.Add(waiting);
    }
}
