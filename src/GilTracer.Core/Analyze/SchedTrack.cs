using GilTracer.Core.Model;

namespace GilTracer.Core.Analyze;

/// <summary>Where a thread is in the scheduler's eyes while sched events stream by.</summary>
enum SchedPhase : byte { Unknown, Running, Runnable, Sleeping, Disk, Dead }

/// <summary>One thread's open sched state and totals (--state).</summary>
sealed class SchedTrack(int tid)
{
    public readonly int Tid = tid;
    public int Pid;
    /// <summary>Pid seen in an event recorded in this thread's own context; until then Pid is a guess and intervals wait in Pending.</summary>
    public bool PidConfirmed;
    public string? Comm;
    public SchedPhase Phase = SchedPhase.Unknown;
    public long SinceNs;
    /// <summary>Life: from fork / wakeup_new / the recording's start, to exit / the recording's end.</summary>
    public long StartNs = -1, EndNs = -1;
    /// <summary>The current sleep is S(GIL): decided at its start (see SchedAnalyzer.IsGilSleep).</summary>
    public bool SleepIsGil;
    public readonly long[] Ns = new long[5]; // indexed by SchedState
    public List<SchedInterval>? Pending;
}
