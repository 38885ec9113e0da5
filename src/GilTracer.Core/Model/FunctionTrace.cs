namespace GilTracer.Core.Model;

/// <summary>What one record of the Python function tracer (python/giltracer_functions.py) says.</summary>
public enum FunctionRecordKind : byte
{
    Enter = 0,
    Exit = 1,
    /// <summary>Left by an exception.</summary>
    Unwind = 2,
    /// <summary>A garbage collection started: Id = generation.</summary>
    GcStart = 3,
    /// <summary>A garbage collection ended: Id = generation | collected &lt;&lt; 2.</summary>
    GcStop = 4,
}

/// <summary>One tracer record: monotonic ns (the clock of perf -k CLOCK_MONOTONIC) and the kernel tid.</summary>
public readonly record struct FunctionRecord(long TimestampNs, int Tid, FunctionRecordKind Kind, int Id);

/// <summary>A function the tracer saw: Python code (file, first line) or a C callable (File = "&lt;built-in&gt;").</summary>
public sealed record FunctionInfo(int Id, string Name, string File, int Line)
{
    public bool IsBuiltin => Line == 0 && File.StartsWith('<');

    /// <summary>"hog (app.py:12)" for Python code, "time.sleep" for C callables, "&lt;gc gen 2&gt;" for collections.</summary>
    public string Display => IsBuiltin ? Name : $"{Name} ({System.IO.Path.GetFileName(File)}:{Line})";

    /// <summary>Pseudo-function ids for garbage collections: -1 - generation.</summary>
    public static int GcId(int generation) => -1 - generation;

    public static FunctionInfo Gc(int generation) => new(GcId(generation), $"<gc gen {generation}>", "<gc>", 0);
}

/// <summary>The tracer's own account of its cost (written at exit; absent when the program crashed).</summary>
public sealed record TracerStats(long Events, long Flushes, int Codes, double EstNsPerEvent, long EstOverheadNs);

/// <summary>Everything one run of the function tracer wrote.</summary>
public sealed class FunctionTrace
{
    public int Pid { get; init; }
    public string PythonVersion { get; init; } = "";
    /// <summary>"setprofile" (3.8–3.11) or "monitoring" (sys.monitoring, 3.12+).</summary>
    public string Mode { get; init; } = "";
    public Dictionary<int, FunctionInfo> Functions { get; } = new();
    public Dictionary<int, string> ThreadNames { get; } = new();
    public FunctionRecord[] Records { get; init; } = [];
    public TracerStats? Stats { get; init; }
    /// <summary>True when the record file ends in a partial record (the program died mid-write).</summary>
    public bool Truncated { get; init; }

    public FunctionInfo Function(int id) =>
        Functions.TryGetValue(id, out var f) ? f
        : id < 0 ? FunctionInfo.Gc(-1 - id)
        : new FunctionInfo(id, $"<unknown #{id}>", "<unknown>", 0);
}

/// <summary>A finished Python call (or garbage collection: FunctionId &lt; 0) of one thread; Depth 0 is the outermost.</summary>
public readonly record struct FunctionCall(int Tid, long StartNs, long EndNs, int FunctionId, int Depth);

/// <summary>A thread the function tracer saw, named as the report names it.</summary>
public readonly record struct FunctionLane(int Tid, string ThreadName);

/// <summary>The function tracer's calls for the outputs that draw them (--functions): of process Pid, one lane per
/// traced thread in the tracer's order, calls in the order they were closed per thread.</summary>
public sealed record FunctionCalls(int Pid, IReadOnlyList<FunctionLane> Lanes, IReadOnlyList<FunctionCall> Calls, FunctionTrace Trace)
{
    public FunctionInfo Function(int id) => Trace.Function(id);
}
