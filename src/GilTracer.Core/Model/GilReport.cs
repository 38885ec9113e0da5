namespace GilTracer.Core.Model;

/// <summary>Kernel-state percentages of a thread's life (--state). sleeping_pct excludes sleeping_gil_pct.</summary>
public sealed record ThreadStates(double RunningPct, double RunnablePct, double SleepingPct, double SleepingGilPct, double DiskPct);

/// <summary>
/// One thread's row of the table and of summary.json. The shares of its life derive from its times here, in one place:
/// no GIL is what is left of the life after holding and waiting.
/// </summary>
public sealed record ThreadSummary
{
    public required int Pid { get; init; }
    public required int Tid { get; init; }
    public required string Name { get; init; }
    public bool IsMain { get; init; }
    public required long StartNs { get; init; }
    public required long EndNs { get; init; }
    public long HoldNs { get; init; }
    public long WaitNs { get; init; }
    /// <summary>Part of WaitNs spent inside drop_gil (with forced switching the dropper waits there for the next holder).</summary>
    public long ReleaseNs { get; init; }
    public long Acquisitions { get; init; }
    /// <summary>False for a thread of a process whose GIL was not traced (sched events only): nothing is known of its
    /// GIL, and its GIL columns are 0.</summary>
    public bool GilTraced { get; init; } = true;
    /// <summary>Kernel states (--state); null without sched events.</summary>
    public ThreadStates? States { get; init; }

    public long TotalNs => EndNs - StartNs;
    public long NoGilNs => GilTraced ? Math.Max(0, TotalNs - HoldNs - WaitNs) : 0;
    public double HasGilPct => GilTraced ? Percent.Of(HoldNs, TotalNs) : 0;
    public double GilWaitPct => GilTraced ? Percent.Of(WaitNs, TotalNs) : 0;
    // the rest of 100 %: never below 0 by rounding (-3.6e-15 when hold and wait fill the life)
    public double NoGilPct => GilTraced && TotalNs > 0 ? Math.Max(0, 100.0 - HasGilPct - GilWaitPct) : 0;
}

/// <summary>One GIL (one per process; 3.12+ subinterpreters with their own GIL are not told apart yet).</summary>
public sealed record GilSummary(
    int Pid, double HeldPct, long Acquisitions, long Switches,
    long WaitP50Ns, long WaitP90Ns, long WaitP99Ns, long WaitMaxNs, long LongestHoldNs,
    long OverlapViolations, long StartNs, long EndNs)
{
    /// <summary>Time held, exactly (HeldPct is its share of the process's span): a counter for live metrics.</summary>
    public long HeldNs { get; init; }
    /// <summary>The wait per acquisition as counts at fixed bounds (null in reports not made by the analyzer).</summary>
    public WaitHistogram? Waits { get; init; }
}

/// <summary>
/// The waits per acquisition of one GIL (0 for a free GIL taken), counted exactly at fixed bounds as a Prometheus
/// histogram wants them: CumulativeCounts[i] waits lasted at most BoundsNs[i]; Count in all, SumNs their total.
/// </summary>
public sealed record WaitHistogram(IReadOnlyList<long> CumulativeCounts, long Count, long SumNs)
{
    /// <summary>10 µs to 10 s: the switch interval is 5 ms, so most waits of a contended GIL lie around it.</summary>
    public static readonly IReadOnlyList<long> BoundsNs =
    [
        10_000, 100_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000,
        100_000_000, 250_000_000, 500_000_000, 1_000_000_000, 10_000_000_000,
    ];

    public bool Equals(WaitHistogram? other) =>
        other is not null && Count == other.Count && SumNs == other.SumNs && CumulativeCounts.SequenceEqual(other.CumulativeCounts);

    public override int GetHashCode() => HashCode.Combine(Count, SumNs);
}

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

/// <summary>The interpreter `run` traced: its path as started (a venv's bin/python3 stays that) and its version.</summary>
public sealed record TracedPython(string Executable, string Version);

/// <summary>
/// Everything the analysis found: what the table, summary.json and the report show. Immutable: the analysis builds it
/// once (<c>RecordingAnalysis.Finish</c>), or as a snapshot of running totals while events still stream in.
/// </summary>
public sealed record GilReport
{
    public int Version => 1;
    public int? ExitCode { get; init; }
    public long StartNs { get; init; }
    public long EndNs { get; init; }
    public long DurationNs => EndNs - StartNs;
    public long LostEvents { get; init; }
    public long DuplicateEvents { get; init; }
    public long EventCount { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
    public IReadOnlyList<GilSummary> Gils { get; init; } = [];
    public IReadOnlyList<ThreadSummary> Threads { get; init; } = [];
    public IReadOnlyList<BlameRow> Blame { get; init; } = [];
    public IReadOnlyList<BlockEdge> BlockMatrix { get; init; } = [];
    public FunctionTracingSummary? FunctionTracing { get; init; }
    /// <summary>Known for run; null for convert and attach.</summary>
    public TracedPython? Python { get; init; }
    /// <summary>Where time went along the Python call stacks (--functions): holding, waiting, off the GIL.</summary>
    public IReadOnlyList<FlameGraph> FlameGraphs { get; init; } = [];
}

/// <summary>A call stack with its weight in ns: frames root first, the thread's name as the root frame. Frame names
/// are safe for the folded format and for text: ';' and controls escaped (<see cref="DisplayText"/>).</summary>
public sealed record FoldedStack(string[] Frames, long Value);

/// <summary>One flame graph: Name ("flame-holding") names its files, Title says what it weighs.</summary>
public sealed record FlameGraph(string Name, string Title, IReadOnlyList<FoldedStack> Stacks);

/// <summary>Shares of a whole in percent; 0 of nothing.</summary>
public static class Percent
{
    public static double Of(long part, long whole) => whole <= 0 ? 0 : 100.0 * part / whole;
}
