namespace GilTracer.Core.Model;

/// <summary>Kernel-state percentages of a thread's life (--state). sleeping_pct excludes sleeping_gil_pct.</summary>
public sealed record ThreadStates(double RunningPct, double RunnablePct, double SleepingPct, double SleepingGilPct, double DiskPct);

/// <summary>One thread's row of the table and of summary.json.</summary>
public sealed record ThreadSummary(
    int Pid, int Tid, string Name, bool IsMain,
    long StartNs, long EndNs,
    long NoGilNs, long HoldNs, long WaitNs,
    double NoGilPct, double HasGilPct, double GilWaitPct,
    long Acquisitions,
    ThreadStates? States = null)
{
    public long TotalNs => EndNs - StartNs;
    /// <summary>Part of WaitNs spent inside drop_gil (with forced switching the dropper waits there for the next holder).</summary>
    public long ReleaseNs { get; init; }
}

/// <summary>One GIL (one per process; 3.12+ subinterpreters with their own GIL are not told apart yet).</summary>
public sealed record GilSummary(
    int Pid, double HeldPct, long Acquisitions, long Switches,
    long WaitP50Ns, long WaitP90Ns, long WaitP99Ns, long WaitMaxNs, long LongestHoldNs,
    long OverlapViolations, long StartNs, long EndNs);

/// <summary>
/// One function of the blame ranking: while it ran on the thread holding the GIL, other threads waited CausedWaitNs
/// in all (summed over the waiters). Function is "name (file.py:line)", "module.func" for C callables, "&lt;gc gen N&gt;"
/// for collections, or a &lt;…&gt; marker for wait with no traced holder. InclusiveWaitNs also counts the wait while it
/// was anywhere on the holder's stack.
/// </summary>
public sealed record BlameRow(string Function, long CausedWaitNs, double PctOfAllWait, IReadOnlyList<int> VictimTids,
    string? Name = null, string? File = null, int Line = 0, IReadOnlyList<string>? VictimNames = null,
    IReadOnlyList<int>? HolderTids = null, long InclusiveWaitNs = 0);

/// <summary>Who blocks whom: Waiter waited WaitNs in all while Holder held the GIL.</summary>
public sealed record BlockEdge(int Pid, int HolderTid, string HolderName, int WaiterTid, string WaiterName, long WaitNs);

/// <summary>What --functions added: the tracer's mode and its cost.</summary>
public sealed record FunctionTracingSummary(string Mode, string PythonVersion, long Records, long Functions,
    double EstNsPerEvent, long EstOverheadNs, bool Truncated, long HandoffWaitNs,
    int RowsBelowFloor = 0, long WaitBelowFloorNs = 0, long FloorNs = 0);

/// <summary>Everything the analysis found: what the table, summary.json and the report show.</summary>
public sealed class GilReport
{
    public int Version => 1;
    public int? ExitCode { get; set; }
    public long StartNs { get; set; }
    public long EndNs { get; set; }
    public long DurationNs => EndNs - StartNs;
    public long LostEvents { get; set; }
    public long DuplicateEvents { get; set; }
    public long EventCount { get; set; }
    public List<string> Warnings { get; } = new();
    public List<GilSummary> Gils { get; } = new();
    public List<ThreadSummary> Threads { get; } = new();
    public List<BlameRow> Blame { get; } = new();
    public List<BlockEdge> BlockMatrix { get; } = new();
    public FunctionTracingSummary? FunctionTracing { get; set; }
}
