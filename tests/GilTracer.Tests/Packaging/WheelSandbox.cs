using System.Diagnostics;
using GilTracer.Core.Host;
using GilTracer.Tests.Integration;

namespace GilTracer.Tests.Packaging;

/// <summary>
/// What the wheel tests run on: the wheel, built once per test run by packaging/build-wheel.sh from outside the
/// checkout; venvs; and commands run as on a machine without .NET (the SDK's folder hidden under an empty tmpfs in
/// a private mount namespace, for that command only) and without GILTRACER_BIN.
/// </summary>
static class WheelSandbox
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit code {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
    }

    static readonly Lazy<(string Path, TimeSpan Took)> Built = new(Build);

    /// <summary>The wheel's path (built on first use).</summary>
    public static string Wheel => Built.Value.Path;

    public static TimeSpan BuildTime => Built.Value.Took;

    static (string, TimeSpan) Build()
    {
        var outDir = Repo.TempDir();
        var sw = Stopwatch.StartNew();
        var r = Run("bash", [Path.Combine(Repo.Root, "packaging", "build-wheel.sh"), outDir], cwd: outDir, timeoutS: 900);
        Assert.True(r.ExitCode == 0, $"build-wheel.sh failed: {r}");
        var wheel = r.Stdout.Trim().Split('\n')[^1];
        Assert.True(File.Exists(wheel), $"build-wheel.sh printed no wheel: {r}");
        return (wheel, sw.Elapsed);
    }

    /// <summary>The folder the .NET SDK lives in (/usr/share/dotnet here: /usr/bin/dotnet links to it).</summary>
    public static string DotnetRoot()
    {
        var dotnet = HostFacts.FindOnPath("dotnet") ?? throw new InvalidOperationException("dotnet is not on PATH");
        var real = new FileInfo(dotnet).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? dotnet;
        return Path.GetDirectoryName(real)!;
    }

    /// <summary>A fresh venv of <paramref name="python"/>; returns its folder.</summary>
    public static string Venv(string python, bool systemSitePackages = false)
    {
        var venv = Path.Combine(Repo.TempDir(), "venv");
        var r = Run(python, systemSitePackages ? ["-m", "venv", "--system-site-packages", venv] : ["-m", "venv", venv]);
        Assert.True(r.ExitCode == 0, $"venv of {python} failed: {r}");
        return venv;
    }

    /// <summary>`pip install --no-index` of the wheel into the venv.</summary>
    public static void PipInstall(string venv)
    {
        var r = Run(Path.Combine(venv, "bin", "python"), ["-m", "pip", "install", "--no-index", "--disable-pip-version-check", "-q", Wheel]);
        Assert.True(r.ExitCode == 0, $"pip install failed: {r}");
    }

    public static void PipUninstall(string venv)
    {
        var r = Run(Path.Combine(venv, "bin", "python"), ["-m", "pip", "uninstall", "-y", "--disable-pip-version-check", "giltracer"]);
        Assert.True(r.ExitCode == 0, $"pip uninstall failed: {r}");
    }

    /// <summary>Every file and folder under the venv, with symlinks as they are: what uninstall must give back.</summary>
    public static List<string> Listing(string venv) =>
        Directory.EnumerateFileSystemEntries(venv, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(p => Path.GetRelativePath(venv, p)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Runs a command as on a machine without .NET: the SDK's folder is an empty tmpfs in a private mount namespace.</summary>
    public static Result RunWithoutDotnet(string file, IEnumerable<string> args, string cwd, IDictionary<string, string>? env = null, int timeoutS = 300)
    {
        const string Hide = "mount -t tmpfs none \"$1\" && [ ! -e \"$1/dotnet\" ] || { echo 'could not hide .NET' >&2; exit 99; }; shift; exec \"$@\"";
        return Run("unshare", ["--mount", "--propagation", "private", "--", "sh", "-c", Hide, "sh", DotnetRoot(), file, .. args], cwd, env, timeoutS);
    }

    /// <summary>Runs a command with the test's environment less GILTRACER_BIN and DOTNET_*; waits for it.</summary>
    public static Result Run(string file, IEnumerable<string> args, string? cwd = null, IDictionary<string, string>? env = null, int timeoutS = 300)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (cwd is not null) psi.WorkingDirectory = cwd;
        foreach (var k in psi.Environment.Keys.Where(k => k == "GILTRACER_BIN" || k.StartsWith("DOTNET_", StringComparison.Ordinal)).ToList())
            psi.Environment.Remove(k);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutS * 1000))
        {
            p.Kill(true);
            throw new TimeoutException($"{file} {string.Join(' ', psi.ArgumentList)} did not finish in {timeoutS} s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
