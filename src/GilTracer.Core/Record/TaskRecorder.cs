namespace GilTracer.Core.Record;

/// <summary>
/// One `perf record -p PID` of `run -- COMMAND`: the uprobe groups of the Pythons found in that process, recorded there
/// and in every process it starts from now on (perf's inherit). A uprobe group must exist before the perf that
/// records it starts, and a Python may be found only when its process execs, so each newly found build gets a perf of
/// its own, started while that process is held at its exec; its files are merged by time like --state's sched.data.
/// Its perf records before the held process goes on, and dies with giltracer (<see cref="ControlledPerf"/>).
/// </summary>
public sealed class TaskRecorder : IDisposable
{
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    readonly ControlledPerf _perf;

    public int Pid { get; }
    public string OutputFile { get; }

    TaskRecorder(ControlledPerf perf, int pid, string outputFile)
    {
        _perf = perf;
        Pid = pid;
        OutputFile = outputFile;
    }

    /// <summary>Starts perf on process <paramref name="pid"/> and returns once it records (or throws with perf's own message).</summary>
    public static TaskRecorder Start(int pid, IReadOnlyList<string> selectors, string outputFile, int mmapPages, Action<string>? log = null)
    {
        List<string> args = ["-q", "-k", "CLOCK_MONOTONIC", "-m", mmapPages.ToString(), .. selectors.SelectMany(s => new[] { "-e", s }),
            "-o", outputFile, "-p", pid.ToString()];
        return new TaskRecorder(ControlledPerf.Start(args, $"process {pid}", StartTimeout, log), pid, outputFile);
    }

    /// <summary>Stops recording if perf still runs (it ends by itself when every process it follows has exited) and waits.</summary>
    public void Stop() => _perf.Stop();

    public void Dispose() => _perf.Dispose();
}
