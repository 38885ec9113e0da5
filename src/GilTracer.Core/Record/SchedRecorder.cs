using System.Diagnostics;
using GilTracer.Core.Host;
using GilTracer.Core.Model;

namespace GilTracer.Core.Record;

/// <summary>
/// The system-wide sched recording of `run --state`, a second `perf record -a` beside the per-task one that runs the
/// program. Sched events must be recorded system-wide: a thread's switch-in is recorded in the context of the task it
/// replaces and its wakeup in the waker's (a timer interrupt in whatever runs), so a per-task recording misses most of
/// them. The GIL uprobes stay per-task: recorded with -a they would fire in every process that maps the same
/// libpython (seen here: 47k hits from another test's Python in 0.7 s), slowing those processes and filling the
/// buffers. Both use CLOCK_MONOTONIC, so the two streams merge by timestamp. This one starts with its events
/// disabled and is enabled through perf's control FIFOs (<see cref="PerfControl"/>); the ack means it records before the
/// program starts.
/// </summary>
public sealed class SchedRecorder : IDisposable
{
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    readonly Process _perf;
    readonly PerfControl _control;
    readonly Task<string> _stderr;

    SchedRecorder(Process perf, PerfControl control, Task<string> stderr)
    {
        _perf = perf;
        _control = control;
        _stderr = stderr;
    }

    /// <summary>Starts perf and returns once it records (or throws with perf's own message). Start and dispose it on one
    /// thread: perf's death signal is tied to the thread that started it, which must outlive it.</summary>
    public static SchedRecorder Start(string outputFile, int mmapPages, Action<string>? log = null)
    {
        var control = new PerfControl();
        var argv = new List<string> { HostFacts.FindPerf(), "record", "-q", "-a", "-k", "CLOCK_MONOTONIC", "-m", mmapPages.ToString() };
        argv.AddRange(control.PerfArguments);
        argv.AddRange(["-o", outputFile]);
        foreach (var e in PerfRecorder.SchedEvents) argv.AddRange(["-e", e]);
        log?.Invoke("$ " + ShellQuoter.Join(argv));
        // Through the wrapper: dies with us even after a SIGKILL, and in a group of its own, so a Ctrl-C at the terminal
        // does not end the state recording while the program is still handling it.
        var launch = ExecWrapper.Wrap(argv, Environment.ProcessId.ToString(), ExecWrapper.NewGroup);
        var psi = new ProcessStartInfo(launch[0]) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in launch.Skip(1)) psi.ArgumentList.Add(a);
        Process perf;
        try { perf = Process.Start(psi)!; }
        catch (Exception e)
        {
            control.Dispose();
            throw new GilTracerException($"cannot start perf: {e.Message}");
        }
        var recorder = new SchedRecorder(perf, control, perf.StandardError.ReadToEndAsync());
        try
        {
            if (!control.Enable(() => !perf.HasExited, StartTimeout))
                throw new GilTracerException(perf.WaitForExit(TimeSpan.FromSeconds(1))
                    ? $"perf could not record sched events: {FirstLine(recorder._stderr.Result)}"
                    : "perf did not start recording sched events within 20 s");
        }
        catch
        {
            recorder.Dispose();
            throw;
        }
        return recorder;
    }

    /// <summary>Stops recording (SIGINT makes perf write its file) and waits for perf.</summary>
    public void Stop()
    {
        if (_perf.HasExited) return;
        Libc.Kill(_perf.Id, Libc.SIGINT);
        if (!_perf.WaitForExit(TimeSpan.FromSeconds(30))) _perf.Kill();
        _perf.WaitForExit();
    }

    public void Dispose()
    {
        try { Stop(); } catch (InvalidOperationException) { }
        _perf.Dispose();
        _control.Dispose();
    }

    static string FirstLine(string text) =>
        text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "(no message)";
}
