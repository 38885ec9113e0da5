using System.Diagnostics;

namespace GilTracer.Tests.Cli;

/// <summary>Runs the real giltracer CLI (the built giltracer.dll beside the tests) as a user would.</summary>
static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <param name="newSession">Start giltracer in a session of its own (setsid): no controlling terminal, and its pid is the
    /// process group's, so a test can signal the group as a terminal would, or giltracer alone.</param>
    public static Process Start(IEnumerable<string> args, IDictionary<string, string>? env = null, string? stdin = null, bool setprivAsNobody = false,
        string? workDir = null, bool newSession = false)
    {
        var psi = new ProcessStartInfo(setprivAsNobody ? "setpriv" : newSession ? "setsid" : "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = stdin is not null, UseShellExecute = false,
        };
        if (workDir is not null) psi.WorkingDirectory = workDir;
        if (setprivAsNobody) foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "dotnet" }) psi.ArgumentList.Add(a);
        if (newSession) psi.ArgumentList.Add("dotnet"); // setsid execs it in place (we are not a group leader): same pid
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "giltracer.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        return p;
    }

    public static Result Run(IEnumerable<string> args, IDictionary<string, string>? env = null, string? stdin = null, bool setprivAsNobody = false,
        string? workDir = null)
    {
        using var p = Start(args, env, stdin, setprivAsNobody, workDir);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000)) { p.Kill(true); throw new TimeoutException("giltracer did not finish in 120 s"); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>A user error: exactly one line "giltracer: error: …", no stack trace, the given exit code.</summary>
    public static void AssertOneLineError(Result r, string contains, int exitCode = 1)
    {
        Assert.Equal(exitCode, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("giltracer: error: ", line);
        Assert.Contains(contains, line);
        Assert.DoesNotContain("   at ", r.Stderr);
    }
}
