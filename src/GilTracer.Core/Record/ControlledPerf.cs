using System.Diagnostics;
using GilTracer.Core.Host;
using GilTracer.Core.Model;

namespace GilTracer.Core.Record;

/// <summary>
/// A `perf record` beside the one that runs the program (--state's sched recording, `run -- COMMAND`'s perf per Python
/// build): started with its events disabled and enabled through its control FIFOs (<see cref="PerfControl"/>), so the
/// ack means it records before anything goes on. Started through the exec wrapper (<see cref="ExecWrapper"/>): it
/// dies with giltracer, even after a SIGKILL, and has a process group of its own, so a Ctrl-C typed at the terminal
/// reaches the program, which may still run its shutdown, and not perf. Start and dispose it on one thread: the death
/// signal is tied to the thread that started it, which must outlive it.
/// </summary>
sealed class ControlledPerf : IDisposable
{
    readonly Process _perf;
    readonly PerfControl _control;
    readonly Task<string> _stderr;

    ControlledPerf(Process perf, PerfControl control)
    {
        _perf = perf;
        _control = control;
        _stderr = perf.StandardError.ReadToEndAsync();
    }

    /// <summary>Starts `perf record ARGS` and returns once it records, or throws with perf's own message
    /// (<paramref name="what"/> names what it records in that message).</summary>
    public static ControlledPerf Start(IEnumerable<string> recordArguments, string what, TimeSpan timeout, Action<string>? log)
    {
        var control = new PerfControl();
        List<string> argv = [HostFacts.FindPerf(), "record", .. recordArguments, .. control.PerfArguments];
        log?.Invoke("$ " + ShellQuoter.Join(argv));
        Process perf;
        try { perf = ExecWrapper.StartPerf(argv, psi => psi.RedirectStandardError = true); }
        catch
        {
            control.Dispose();
            throw;
        }
        var started = new ControlledPerf(perf, control);
        try
        {
            if (!control.Enable(() => !perf.HasExited, timeout))
                throw new GilTracerException(perf.WaitForExit(TimeSpan.FromSeconds(1))
                    ? $"perf could not record {what}: {FirstLine(started._stderr.Result)}"
                    : $"perf did not start recording {what} within {timeout.TotalSeconds:F0} s");
        }
        catch
        {
            started.Dispose();
            throw;
        }
        return started;
    }

    /// <summary>Stops recording if perf still runs (SIGINT makes it write its file) and waits for it.</summary>
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
