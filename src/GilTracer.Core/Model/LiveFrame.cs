namespace GilTracer.Core.Model;

/// <summary>What a thread did with its life over a stretch of time: waited for the GIL, held it, or neither.</summary>
public readonly record struct LifeShares(long LifeNs, long WaitNs, long HoldNs, long Acquisitions)
{
    public double WaitPct => Percent.Of(WaitNs, LifeNs);
    public double HoldPct => Percent.Of(HoldNs, LifeNs);
    public double NoGilPct => LifeNs > 0 ? Math.Max(0, 100.0 - WaitPct - HoldPct) : 0;

    public static LifeShares operator +(LifeShares a, LifeShares b) =>
        new(a.LifeNs + b.LifeNs, a.WaitNs + b.WaitNs, a.HoldNs + b.HoldNs, a.Acquisitions + b.Acquisitions);

    public static LifeShares operator -(LifeShares a, LifeShares b) =>
        new(a.LifeNs - b.LifeNs, a.WaitNs - b.WaitNs, a.HoldNs - b.HoldNs, a.Acquisitions - b.Acquisitions);
}

/// <summary>
/// One thread's row of top: its shares over the last interval and over the last 1, 5 and 15 minutes (exact: sums of
/// per-second buckets, over as much of the window as the session has seen), acquisitions per second and the p99 of the
/// waits that ended in the interval.
/// </summary>
public sealed record LiveThreadRow(int Pid, int Tid, string Name, bool IsMain, LifeShares Interval, LifeShares Minute1,
    LifeShares Minute5, LifeShares Minute15, double AcquisitionsPerSecond, long WaitP99Ns);

/// <summary>One GIL over the last interval: how much of it was held, how many threads wait for it at its end.</summary>
public sealed record LiveGilRow(int Pid, double HeldPct, int WaitingNow, double AcquisitionsPerSecond);

/// <summary>
/// What top shows after each interval: the interval ends at AtNs (CLOCK_MONOTONIC, the time of the events), SessionNs
/// after the recording started. Rows of threads that lived in the interval.
/// </summary>
public sealed record LiveFrame(long AtNs, long IntervalNs, long SessionNs, double EventsPerSecond, long LostEvents,
    IReadOnlyList<LiveGilRow> Gils, IReadOnlyList<LiveThreadRow> Threads);
