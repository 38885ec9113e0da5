namespace GilTracer.Core.Model;

/// <summary>What a thread is doing with respect to the GIL during an interval.</summary>
public enum GilState : byte
{
    /// <summary>Running (or sleeping) without the GIL.</summary>
    NoGil,
    /// <summary>Inside take_gil: waiting for the GIL.</summary>
    Wait,
    /// <summary>Holding the GIL.</summary>
    Hold,
    /// <summary>Inside drop_gil: releasing (counted as no GIL; the hold ended at drop_gil entry).</summary>
    Release,
}

/// <summary>Kernel thread states from sched events (--state).</summary>
public enum SchedState : byte
{
    Running,
    Runnable,
    Sleeping,
    /// <summary>Sleeping while waiting for the GIL: S(GIL).</summary>
    SleepingGil,
    Disk,
}

/// <summary>A closed interval of one thread in one state. Start/End in monotonic ns.</summary>
public readonly record struct GilInterval(int Pid, int Tid, long StartNs, long EndNs, GilState State)
{
    public long DurationNs => EndNs - StartNs;
}

public readonly record struct SchedInterval(int Pid, int Tid, long StartNs, long EndNs, SchedState State)
{
    public long DurationNs => EndNs - StartNs;
}

/// <summary>Receives intervals as the analyzers close them (streaming: outputs write them out at once). Every method is
/// optional: a sink implements what it uses.</summary>
public interface IIntervalSink
{
    void OnGilInterval(in GilInterval interval) { }
    void OnSchedInterval(in SchedInterval interval) { }
    /// <summary>How many threads of a process wait for its GIL changed (called in time order).</summary>
    void OnWaitersChanged(int pid, long timestampNs, int waiting) { }
    /// <summary>A thread took its process's GIL after waiting waitNs for it (0: it was free), as the analyzer counts the
    /// wait per acquisition (summary's percentiles, the metrics' histogram).</summary>
    void OnAcquisition(int pid, long waitNs) { }
    /// <summary>How many threads of a process are runnable (preempted or woken, waiting for a CPU) changed (--state; time order).</summary>
    void OnRunnableChanged(int pid, long timestampNs, int runnable) { }
}

/// <summary>
/// One output of a pass (summary.json, trace.json, report.html, flame graphs, a table): given the function tracer's
/// calls after the last event (--functions, optional), then the finished report to write. An output that draws the
/// timelines is an <see cref="IIntervalSink"/> too, and gets the intervals while events stream; the others are not
/// called for each interval.
/// </summary>
public interface IReportOutput
{
    void OnFunctionCalls(FunctionCalls calls) { }
    void Write(GilReport report);
}
