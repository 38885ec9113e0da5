namespace GilTracer.Core.Model;

/// <summary>What one decoded perf event says. Readers (text or perf.data) map probe and tracepoint names to these.</summary>
public enum EventKind : byte
{
    // The GIL kinds come first (IsGil below).
    /// <summary>take_gil entered: the thread starts waiting for the GIL.</summary>
    TakeGil,
    /// <summary>take_gil returned (or the acquiring store inside it ran): the thread now holds the GIL.</summary>
    TakeGilReturn,
    /// <summary>drop_gil entered: the hold ends here; the release lasts until drop_gil returns.</summary>
    DropGil,
    /// <summary>drop_gil returned: the release is complete.</summary>
    DropGilReturn,
    /// <summary>An inlined release site ran (stripped builds, probe "drop_gil_rel"): the hold ends, no return follows.</summary>
    ReleaseSite,
    /// <summary>After a release, the forced-switch COND_WAIT starts (probe "drop_gil_hw"): the dropper waits for the next holder.</summary>
    HandoverWait,
    /// <summary>That COND_WAIT returned (probe "drop_gil_hw_ret", on the instruction after the call): the next holder took the GIL.</summary>
    HandoverWaitEnd,
    /// <summary>sched_switch: Tid = the thread switched out, NextTid = the one switched in, State = prev_state.</summary>
    SchedSwitch,
    /// <summary>sched_wakeup: WokenTid = the thread woken (Tid: the waker's context).</summary>
    SchedWakeup,
    /// <summary>sched_wakeup_new: WokenTid = the new thread woken for the first time.</summary>
    SchedWakeupNew,
    /// <summary>sched_process_fork / PERF_RECORD_FORK: Tid = parent, ChildTid = the new thread, ChildPid = its pid when known (else 0).</summary>
    Fork,
    /// <summary>sched_process_exit / PERF_RECORD_EXIT: Tid exits.</summary>
    Exit,
    /// <summary>A thread's name (comm) became known or changed: Comm holds it.</summary>
    Comm,
    /// <summary>perf lost events here: LostCount = how many.</summary>
    Lost,
}

public static class EventKinds
{
    /// <summary>A GIL probe hit (take_gil, drop_gil, their returns, a release site, a handover wait).</summary>
    public static bool IsGil(this EventKind kind) => kind <= EventKind.HandoverWaitEnd;
}

/// <summary>Thread state a sched_switch leaves the previous thread in (prev_state).</summary>
public enum ThreadRunState : byte
{
    Unknown,
    /// <summary>R or R+: preempted, still runnable.</summary>
    Runnable,
    /// <summary>S: interruptible sleep.</summary>
    Sleeping,
    /// <summary>D: uninterruptible (disk) sleep.</summary>
    Disk,
    /// <summary>Any other state (T, t, X, Z, I …).</summary>
    Other,
}

/// <summary>
/// One event from perf, decoded. A small value type: readers yield millions of them, and perf.data's reader sorts
/// rounds of them in place, so the other thread an event names (or perf's lost count) takes one slot, read through the
/// property that names it for the event's kind (the others read 0).
/// Timestamps are CLOCK_MONOTONIC nanoseconds when recorded with <c>perf record -k CLOCK_MONOTONIC</c>.
/// </summary>
public readonly record struct TraceEvent(
    EventKind Kind,
    long TimestampNs,
    int Pid,
    int Tid,
    int Cpu = -1,
    ThreadRunState State = ThreadRunState.Unknown,
    string? Comm = null,
    /// <summary>For sched events recorded with call stacks (-g): true when take_gil is on the stack.</summary>
    bool StackHasTakeGil = false,
    /// <summary>Pid of the uprobe's sample when known (text without pid/tid gives 0 → pid unknown, Tid used).</summary>
    bool PidKnown = true,
    /// <summary>Fork: the new thread's process, when known (else 0).</summary>
    int ChildPid = 0)
{
    readonly int _slot;

    /// <summary>SchedSwitch: the thread switched in.</summary>
    public int NextTid { get => Kind == EventKind.SchedSwitch ? _slot : 0; init => _slot = value; }

    /// <summary>SchedWakeup, SchedWakeupNew: the thread woken.</summary>
    public int WokenTid { get => Kind is EventKind.SchedWakeup or EventKind.SchedWakeupNew ? _slot : 0; init => _slot = value; }

    /// <summary>Fork: the new thread.</summary>
    public int ChildTid { get => Kind == EventKind.Fork ? _slot : 0; init => _slot = value; }

    /// <summary>Lost: how many events perf lost.</summary>
    public int LostCount { get => Kind == EventKind.Lost ? _slot : 0; init => _slot = value; }
}
