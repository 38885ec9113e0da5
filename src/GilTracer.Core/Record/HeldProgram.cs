using System.Diagnostics;
using GilTracer.Core.Host;
using GilTracer.Core.Model;

namespace GilTracer.Core.Record;

/// <summary>
/// A program started stopped, so that perf can attach to it before it runs a line (top -- COMMAND): a shell stops
/// itself (SIGSTOP) and, once continued, execs the program in its place, same pid. It shares our terminal, standard
/// streams and process group (Ctrl-C reaches it as it reaches us). The run command's held start (ptrace at exec) can
/// take this one's place: callers only need its pid, <see cref="Release"/> and its exit code.
/// </summary>
public sealed class HeldProgram : IDisposable
{
    const int SIGCONT = 18;
    readonly Process _process;

    HeldProgram(Process process) => _process = process;

    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Starts argv stopped; returns once it is (or throws when it could not start).</summary>
    public static HeldProgram Start(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> environment, Action<string>? log = null)
    {
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var a in new[] { "-c", "kill -STOP $$ && exec \"$@\"", "sh" }) psi.ArgumentList.Add(a);
        foreach (var a in argv) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        log?.Invoke("$ " + string.Join(' ', argv.Select(a => a.Contains(' ') ? $"'{a}'" : a)));
        Process process;
        try { process = Process.Start(psi)!; }
        catch (Exception e) { throw new GilTracerException($"cannot start {argv[0]}: {e.Message}"); }
        var held = new HeldProgram(process);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!held.IsStopped())
        {
            if (process.HasExited) throw new GilTracerException($"{argv[0]} ended before it could be traced (exit code {process.ExitCode})");
            if (DateTime.UtcNow > deadline)
            {
                held.Dispose();
                throw new GilTracerException($"{argv[0]} did not stop to wait for the tracer");
            }
            Thread.Sleep(1);
        }
        return held;
    }

    /// <summary>State T in /proc/PID/stat: the shell has stopped itself.</summary>
    bool IsStopped()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] == 'T';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Lets it run: the shell execs the program.</summary>
    public void Release() => Libc.Kill(_process.Id, SIGCONT);

    /// <summary>Asks it to stop as Ctrl-C does (SIGINT; continued first, should it still be held).</summary>
    public void Interrupt()
    {
        if (_process.HasExited) return;
        Libc.Kill(_process.Id, Libc.SIGINT);
        Libc.Kill(_process.Id, SIGCONT);
    }

    /// <summary>Its exit code (128+signal when a signal ended it), waiting up to the timeout; null if it still runs.</summary>
    public int? WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout) ? _process.ExitCode : null;

    /// <summary>Kills it if it still runs (the tracer failed before it was released).</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                Libc.Kill(_process.Id, SIGCONT);
                _process.WaitForExit(2000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
