namespace GilTracer.Core.Model;

/// <summary>What one decoded perf event says. Readers (text or perf.data) map probe and tracepoint names to these.</summary>
public enum EventKind : byte
{
    // The GIL kinds come first (IsGil below).
    /// <summary>take_gil entered: the thread starts waiting for the GIL.</summary>
    TakeGil,
    /// <summary>take_gil returned (or the acquiring store inside it ran): the thread now holds the GIL.</summary>
    TakeGilReturn,
    /// <summary>drop_gil entered: the hold ends here (design.md §6); the release lasts until drop_gil returns.</summary>
    DropGil,
    /// <summary>drop_gil returned: the release is complete.</summary>
    DropGilReturn,
    /// <summary>An inlined release site ran (stripped builds, probe "drop_gil_rel"): the hold ends, no return follows.</summary>
    ReleaseSite,
    /// <summary>After a release, the forced-switch COND_WAIT starts (probe "drop_gil_hw"): the dropper waits for the next holder.</summary>
    HandoverWait,
    /// <summary>That COND_WAIT returned (probe "drop_gil_hw_ret", on the instruction after the call): the next holder took the GIL.</summary>
    HandoverWaitEnd,
    /// <summary>sched_switch: Tid = prev thread, Other = next thread, State = prev_state.</summary>
    SchedSwitch,
    /// <summary>sched_wakeup: Other = the thread woken.</summary>
    SchedWakeup,
    /// <summary>sched_wakeup_new: Other = the new thread woken for the first time.</summary>
    SchedWakeupNew,
    /// <summary>sched_process_fork / PERF_RECORD_FORK: Tid = parent, Other = child tid, OtherPid = child pid when known (else 0).</summary>
    Fork,
    /// <summary>sched_process_exit / PERF_RECORD_EXIT: Tid exits.</summary>
    Exit,
    /// <summary>A thread's name (comm) became known or changed: Comm holds it.</summary>
    Comm,
    /// <summary>perf lost events here: Other = how many.</summary>
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
/// One event from perf, decoded. A small value type: readers yield millions of them.
/// Timestamps are CLOCK_MONOTONIC nanoseconds when recorded with <c>perf record -k CLOCK_MONOTONIC</c>.
/// </summary>
public readonly record struct TraceEvent(
    EventKind Kind,
    long TimestampNs,
    int Pid,
    int Tid,
    int Cpu = -1,
    int Other = 0,
    int OtherPid = 0,
    ThreadRunState State = ThreadRunState.Unknown,
    string? Comm = null,
    /// <summary>For sched events recorded with call stacks (-g): true when take_gil is on the stack.</summary>
    bool StackHasTakeGil = false,
    /// <summary>Pid of the uprobe's sample when known (text without pid/tid gives 0 → pid unknown, Tid used).</summary>
    bool PidKnown = true);
