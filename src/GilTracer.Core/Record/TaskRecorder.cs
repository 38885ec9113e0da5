using System.Diagnostics;
using GilTracer.Core.Host;
using GilTracer.Core.Model;

namespace GilTracer.Core.Record;

/// <summary>
/// One `perf record -p PID` of `run -- COMMAND`: the uprobe groups of the Pythons found in that process, recorded there
/// and in every process it starts from now on (perf's inherit). A uprobe group must exist before the perf that
/// records it starts, and a Python may be found only when its process execs, so each newly found build gets a perf of
/// its own, started while that process is held at its exec; its files are merged by time like --state's sched.data.
/// Started with its events disabled and enabled through perf's control FIFOs (<see cref="PerfControl"/>): the ack
/// means it records before the process goes on. perf runs in a session of its own (util-linux setsid), so a Ctrl-C
/// typed at the terminal reaches the program, which may still run its shutdown, and not perf.
/// </summary>
public sealed class TaskRecorder : IDisposable
{
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    readonly Process _perf;
    readonly PerfControl _control;
    readonly Task<string> _stderr;

    public int Pid { get; }
    public string OutputFile { get; }

    TaskRecorder(Process perf, PerfControl control, Task<string> stderr, int pid, string outputFile)
    {
        _perf = perf;
        _control = control;
        _stderr = stderr;
        Pid = pid;
        OutputFile = outputFile;
    }

    /// <summary>Starts perf on process <paramref name="pid"/> and returns once it records (or throws with perf's own message).</summary>
    public static TaskRecorder Start(int pid, IReadOnlyList<string> selectors, string outputFile, int mmapPages, Action<string>? log = null)
    {
        var perfPath = HostFacts.FindPerf();
        var setsid = HostFacts.FindOnPath("setsid");
        var psi = new ProcessStartInfo(setsid ?? perfPath) { UseShellExecute = false, RedirectStandardError = true };
        var control = new PerfControl();
        var args = new List<string> { "record", "-q", "-k", "CLOCK_MONOTONIC", "-m", mmapPages.ToString() };
        foreach (var s in selectors) args.AddRange(["-e", s]);
        args.AddRange(["-o", outputFile, "-p", pid.ToString()]);
        args.AddRange(control.PerfArguments);
        if (setsid is not null) psi.ArgumentList.Add(perfPath);
        foreach (var a in args) psi.ArgumentList.Add(a);
        log?.Invoke("$ " + string.Join(' ', psi.ArgumentList));
        Process perf;
        try { perf = Process.Start(psi)!; }
        catch (Exception e)
        {
            control.Dispose();
            throw new GilTracerException($"cannot start perf: {e.Message}");
        }
        var recorder = new TaskRecorder(perf, control, perf.StandardError.ReadToEndAsync(), pid, outputFile);
        try
        {
            if (!control.Enable(() => !perf.HasExited, StartTimeout))
                throw new GilTracerException(perf.WaitForExit(TimeSpan.FromSeconds(1))
                    ? $"perf could not record process {pid}: {FirstLine(recorder._stderr.Result)}"
                    : $"perf did not start recording process {pid} within {StartTimeout.TotalSeconds:F0} s");
        }
        catch
        {
            recorder.Dispose();
            throw;
        }
        return recorder;
    }

    /// <summary>Stops recording if perf still runs (it ends by itself when every process it follows has exited) and waits.</summary>
    public void Stop()
    {
        if (!_perf.HasExited) Libc.Kill(_perf.Id, Libc.SIGINT);
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
