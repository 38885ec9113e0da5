using GilTracer.Core.Analyze;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Analyze;

/// <summary>
/// The forced-switch wait after a release without a drop_gil return probe (stripped builds, copies inlined into I/O
/// wrappers): from its COND_WAIT to the instruction after it the dropper waits for the next holder, a GIL wait,
/// exactly as the symbol path counts drop_gil entry → return when it hands over.
/// </summary>
public class HandoverWaitTests
{
    static TraceEvent E(EventKind kind, int tid, double sec) => new(kind, (long)Math.Round(sec * 1e9), 100, tid);

    static GilReport Analyze(params TraceEvent[] events)
    {
        var a = new GilAnalyzer();
        a.Process(events);
        return a.Finish();
    }

    [Fact]
    public void TheWaitBetweenTheHandoverProbesIsAGilWait()
    {
        var r = Analyze(
            E(EventKind.TakeGil, 100, 1.0), E(EventKind.TakeGilReturn, 100, 1.0001), // 100 holds
            E(EventKind.TakeGil, 101, 1.1),                                           // 101 waits
            E(EventKind.ReleaseSite, 100, 1.5), E(EventKind.HandoverWait, 100, 1.5001),
            E(EventKind.TakeGilReturn, 101, 1.6), E(EventKind.HandoverWaitEnd, 100, 1.6001),
            E(EventKind.ReleaseSite, 101, 2.0));
        var dropper = r.Thread(100);
        Assert.Equal(100_000_000L, dropper.WaitNs);     // 1.5001 → 1.6001
        Assert.Equal(100_000_000L, dropper.ReleaseNs);
        Assert.Equal(499_900_000L, dropper.HoldNs);     // 1.0001 → 1.5
        Assert.Equal(500_000_000L, r.Thread(101).WaitNs);
        Assert.All(r.Gils, g => Assert.Equal(0, g.OverlapViolations));
        TestSupport.AssertInvariants(r);
    }

    [Fact]
    public void CountsLikeADropGilThatHandsOver()
    {
        GilReport Run(params TraceEvent[] release) => Analyze([
            E(EventKind.TakeGil, 100, 1.0), E(EventKind.TakeGilReturn, 100, 1.0001), E(EventKind.TakeGil, 101, 1.1),
            .. release, E(EventKind.TakeGilReturn, 101, 1.6), E(EventKind.ReleaseSite, 101, 2.0)]);
        var symbols = Run(E(EventKind.DropGil, 100, 1.5), E(EventKind.DropGilReturn, 100, 1.6001));
        var stripped = Run(E(EventKind.ReleaseSite, 100, 1.5), E(EventKind.HandoverWait, 100, 1.50001), E(EventKind.HandoverWaitEnd, 100, 1.6001));
        Assert.InRange(stripped.Thread(100).WaitNs, symbols.Thread(100).WaitNs - 20_000, symbols.Thread(100).WaitNs);
        Assert.Equal(symbols.Thread(100).HoldNs, stripped.Thread(100).HoldNs);
    }

    /// <summary>
    /// Stripped builds end an inlined release at its mutex unlock (a drop_gil return) and start the forced switch at the
    /// switch_mutex lock: the dropper preempted in between, by the waiter its signal woke, is still in drop_gil: wait,
    /// as with symbols, not no GIL.
    /// </summary>
    [Fact]
    public void APreemptionBetweenTheReleaseEndAndTheForcedSwitchIsWait()
    {
        GilReport Run(params TraceEvent[] release) => Analyze([
            E(EventKind.TakeGil, 100, 1.0), E(EventKind.TakeGilReturn, 100, 1.0001), E(EventKind.TakeGil, 101, 1.1),
            .. release, E(EventKind.TakeGilReturn, 101, 1.6), E(EventKind.ReleaseSite, 101, 2.0)]);
        var symbols = Run(E(EventKind.DropGil, 100, 1.5), E(EventKind.DropGilReturn, 100, 1.6001));
        var stripped = Run(E(EventKind.DropGil, 100, 1.5), E(EventKind.DropGilReturn, 100, 1.50001), // release store → unlock
            E(EventKind.HandoverWait, 100, 1.504), E(EventKind.HandoverWaitEnd, 100, 1.6001));       // preempted 4 ms, then the switch
        Assert.Equal(symbols.Thread(100).WaitNs, stripped.Thread(100).WaitNs);
        Assert.Equal(symbols.Thread(100).NoGilNs, stripped.Thread(100).NoGilNs);
        // Without a forced switch after it, what follows a release's end is no GIL (the thread runs its I/O).
        var io = Run(E(EventKind.DropGil, 100, 1.5), E(EventKind.DropGilReturn, 100, 1.50001), E(EventKind.TakeGil, 100, 1.55));
        Assert.Equal(50_090_000L, io.Thread(100).NoGilNs); // 1.50001 → 1.55, and its uncontended take_gil 1.0 → 1.0001
    }

    [Fact]
    public void TheDropperIsHeldBackByTheGilWhileItWaits()
    {
        var a = new GilAnalyzer();
        a.Process([E(EventKind.TakeGil, 100, 1.0), E(EventKind.TakeGilReturn, 100, 1.0001), E(EventKind.ReleaseSite, 100, 1.5)]);
        Assert.False(a.IsHeldBackByGil(100));
        a.Process(E(EventKind.HandoverWait, 100, 1.5001));
        Assert.True(a.IsHeldBackByGil(100));
        a.Process(E(EventKind.HandoverWaitEnd, 100, 1.6));
        Assert.False(a.IsHeldBackByGil(100));
    }

    [Fact]
    public void AnEndWithoutAStartChangesNothing()
    {
        var r = Analyze(E(EventKind.TakeGil, 100, 1.0), E(EventKind.TakeGilReturn, 100, 1.0001), E(EventKind.ReleaseSite, 100, 1.5),
            E(EventKind.HandoverWaitEnd, 100, 1.6), E(EventKind.TakeGil, 100, 2.0));
        Assert.Equal(0L, r.Thread(100).WaitNs);
        Assert.Equal(0L, r.Thread(100).ReleaseNs);
    }

    [Fact]
    public void ARecordingThatStartsInsideTheWaitCountsItFromTheStart()
    {
        var r = Analyze(E(EventKind.TakeGil, 101, 1.0), E(EventKind.TakeGilReturn, 101, 1.2), E(EventKind.HandoverWaitEnd, 100, 1.2001),
            E(EventKind.ReleaseSite, 101, 1.5));
        Assert.Equal(200_100_000L, r.Thread(100).WaitNs);
        TestSupport.AssertInvariants(r);
    }

    [Fact]
    public void AHandoverWaitIsAGilEvent()
    {
        Assert.True(EventKind.HandoverWait.IsGil());
        Assert.True(EventKind.HandoverWaitEnd.IsGil());
        Assert.False(EventKind.SchedSwitch.IsGil());
    }
}
