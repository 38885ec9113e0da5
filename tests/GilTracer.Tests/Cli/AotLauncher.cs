using System.Collections.Concurrent;
using System.Diagnostics;
using GilTracer.Tests.Integration;

namespace GilTracer.Tests.Cli;

/// <summary>
/// The README's launcher, ./giltracer at the repository's root: the Native AOT binary, built into .artifacts/ when missing
/// or older than the sources (.ci/run builds it before the tests, with `./giltracer setup`).
/// </summary>
static class AotLauncher
{
    public static string Path => System.IO.Path.Combine(Repo.Root, "giltracer");

    static readonly Lazy<bool> Built = new(() =>
    {
        var p = Start(["--version"]);
        if (!p.WaitForExit(TimeSpan.FromMinutes(15))) { p.Process.Kill(true); throw new TimeoutException("./giltracer did not build in 15 min"); }
        Assert.True(p.ExitCode == 0, "./giltracer --version failed: " + p.Stderr);
        return true;
    });

    /// <summary>A running giltracer whose output lines are kept with the time each arrived.</summary>
    public sealed class Running(Process process) : IDisposable
    {
        public readonly Process Process = process;
        public readonly Stopwatch Clock = Stopwatch.StartNew();
        public readonly ConcurrentQueue<(TimeSpan At, string Line)> Out = new(), Err = new();
        public string Stdout => string.Join('\n', Out.Select(l => l.Line));
        public string Stderr => string.Join('\n', Err.Select(l => l.Line));
        public int ExitCode => Process.ExitCode;
        public bool WaitForExit(TimeSpan timeout)
        {
            if (!Process.WaitForExit(timeout)) return false;
            Process.WaitForExit(); // the output's last lines
            return true;
        }
        public void Dispose()
        {
            if (!Process.HasExited) { Process.Kill(true); Process.WaitForExit(); }
            Process.Dispose();
        }
    }

    /// <summary>Starts ./giltracer ARGS (built first if needed, in <paramref name="workDir"/> if given), its output read line by line as it comes.</summary>
    public static Running Start(IEnumerable<string> args, string? workDir = null)
    {
        if (args.FirstOrDefault() != "--version") _ = Built.Value;
        var psi = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workDir is not null) psi.WorkingDirectory = workDir;
        foreach (var a in args) psi.ArgumentList.Add(a);
        var running = new Running(Process.Start(psi)!);
        running.Process.OutputDataReceived += (_, e) => { if (e.Data is not null) running.Out.Enqueue((running.Clock.Elapsed, e.Data)); };
        running.Process.ErrorDataReceived += (_, e) => { if (e.Data is not null) running.Err.Enqueue((running.Clock.Elapsed, e.Data)); };
        running.Process.BeginOutputReadLine();
        running.Process.BeginErrorReadLine();
        return running;
    }

    /// <summary>Runs ./giltracer ARGS to its end.</summary>
    public static CliRunner.Result Run(IEnumerable<string> args, int timeoutS = 120)
    {
        using var r = Start(args);
        if (!r.WaitForExit(TimeSpan.FromSeconds(timeoutS))) throw new TimeoutException($"giltracer did not finish in {timeoutS} s");
        return new CliRunner.Result(r.ExitCode, r.Stdout + "\n", r.Stderr);
    }
}
