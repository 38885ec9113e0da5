using System.Diagnostics;

namespace GilTracer.Tests.Python;

/// <summary>The pyenv interpreters of this machine (3.8–3.13), and a way to run them.</summary>
static class PythonVersions
{
    public static readonly string[] All = ["3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0"];

    public static string Exe(string version) => $"/root/.pyenv/versions/{version}/bin/python{version[..version.LastIndexOf('.')]}";

    public static string Repo => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", ".."));
    public static string PythonDir => Path.Combine(Repo, "python");
    public static string Scripts => Path.Combine(AppContext.BaseDirectory, "Scripts");

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string exe, IEnumerable<string> args, string workDir, IDictionary<string, string>? env = null, int timeoutMs = 120_000)
    {
        var psi = new ProcessStartInfo(exe) { WorkingDirectory = workDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("PYTHONPATH");
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs)) { p.Kill(true); throw new TimeoutException($"{exe} did not finish"); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
