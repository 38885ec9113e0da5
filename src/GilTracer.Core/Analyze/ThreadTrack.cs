using GilTracer.Core.Model;

namespace GilTracer.Core.Analyze;

/// <summary>The running totals and open interval of one thread while events stream by.</summary>
sealed class ThreadTrack(int pid, int tid)
{
    public readonly int Pid = pid;
    public readonly int Tid = tid;
    public string? Comm;
    public long StartNs = -1;
    public long LastNs;
    /// <summary>Exact end of life from an exit event, when recorded.</summary>
    public long ExitNs = -1;
    /// <summary>Before the first GIL event the state is unknown; the first event tells what it was.</summary>
    public bool Seen;
    public GilState State = GilState.NoGil;
    public long StateSinceNs;
    public long WaitStartNs;
    /// <summary>In take_gil: another thread held the GIL at entry; and the GIL's acquisitions then (any since: blocked).</summary>
    public bool Contended;
    public long AcquisitionsAtEntry;
    /// <summary>In drop_gil: another thread was waiting at entry, so the release is a handover (GIL wait).</summary>
    public bool Handover;
    public long HoldNs, WaitNs, ReleaseNs, Acquisitions;
    public EventKind LastKind;
    public long LastKindNs = -1;
}

/// <summary>One process's GIL: who holds it and its statistics.</summary>
sealed class ProcessTrack(int pid)
{
    public readonly int Pid = pid;
    public long StartNs = long.MaxValue, EndNs = long.MinValue;
    public int HolderTid; // 0 = free
    public int Waiting;
    public int LastHolderTid;
    public long HeldNs, Acquisitions, Switches, LongestHoldNs, OverlapViolations;
    public readonly LatencyHistogram Waits = new(WaitHistogram.BoundsNs);
}
