namespace GilTracer.Core.Record;

/// <summary>
/// The system-wide sched recording of `run --state`, a second `perf record -a` beside the per-task one that runs the
/// program. Sched events must be recorded system-wide: a thread's switch-in is recorded in the context of the task it
/// replaces and its wakeup in the waker's (a timer interrupt in whatever runs), so a per-task recording misses most of
/// them. The GIL uprobes stay per-task: recorded with -a they would fire in every process that maps the same
/// libpython (seen here: 47k hits from another test's Python in 0.7 s), slowing those processes and filling the
/// buffers. Both use CLOCK_MONOTONIC, so the two streams merge by timestamp. This one records before the program
/// starts (<see cref="ControlledPerf"/>).
/// </summary>
public sealed class SchedRecorder : IDisposable
{
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    readonly ControlledPerf _perf;

    SchedRecorder(ControlledPerf perf) => _perf = perf;

    /// <summary>Starts perf and returns once it records (or throws with perf's own message). Start and dispose it on one
    /// thread: perf's death signal is tied to the thread that started it, which must outlive it.</summary>
    public static SchedRecorder Start(string outputFile, int mmapPages, Action<string>? log = null) =>
        new(ControlledPerf.Start(["-q", "-a", "-k", "CLOCK_MONOTONIC", "-m", mmapPages.ToString(), "-o", outputFile,
            .. PerfRecorder.SchedEvents.SelectMany(e => new[] { "-e", e })], "sched events", StartTimeout, log));

    /// <summary>Stops recording (SIGINT makes perf write its file) and waits for perf.</summary>
    public void Stop() => _perf.Stop();

    public void Dispose() => _perf.Dispose();
}
