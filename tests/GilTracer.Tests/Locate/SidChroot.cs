using System.Diagnostics;
using System.Text.RegularExpressions;
using GilTracer.Core.Locate;

namespace GilTracer.Tests.Locate;

/// <summary>
/// The Debian sid root of tests/sid-root.sh (python3.13/3.14/3.15, static and stripped: the stand-in for the Pythons
/// users run today) and the debug files of its -dbg packages, unpacked beside it (never installed in the root). Made by
/// the script when missing, as CI does: tests that need it never skip. sid moves, so which versions it holds is read at
/// run time, each paired with the debug file its build-id names. The one fixture of the sid root.
/// </summary>
public static partial class SidChroot
{
    static readonly Lazy<string> Made = new(Make);

    public static string Cache => Made.Value;
    public static string Root => Path.Combine(Cache, "root");
    public static string Debs => Path.Combine(Cache, "debs");

    /// <summary>"3.13", "3.14", … : the Pythons of the root that have their debug files beside it.</summary>
    public static IReadOnlyList<string> Versions =>
        Directory.GetFiles(Path.Combine(Root, "usr/bin"), "python3.*")
            .Select(Path.GetFileName).Select(n => VersionName().Match(n!)).Where(m => m.Success).Select(m => m.Groups[1].Value)
            .Where(v => Directory.Exists(DebugDir(v))).OrderBy(v => int.Parse(v[2..])).ToList();

    /// <summary>The interpreter's host path (what a chrooted process's maps show).</summary>
    public static string Python(string version) => Path.Combine(Root, "usr/bin", $"python{version}");

    /// <summary>The version's -dbg package, unpacked: a debug directory with .build-id/.</summary>
    public static string DebugDir(string version) => Path.Combine(Cache, "dbg", version, "usr/lib/debug");

    public static string BuildId(string version) => ElfImage.Load(Python(version)).BuildId!;

    /// <summary>Every debug directory of the cache, for a run that may meet any of the versions.</summary>
    public static IReadOnlyList<string> DebugDirs => Versions.Select(DebugDir).ToList();

    /// <summary>The versions as theory data.</summary>
    public static TheoryData<string> Theory
    {
        get
        {
            var d = new TheoryData<string>();
            foreach (var v in Versions) d.Add(v);
            return d;
        }
    }

    static string Make()
    {
        var cache = Environment.GetEnvironmentVariable("GILTRACER_SID_CACHE") is { Length: > 0 } c ? c : "/var/cache/giltracer-sid";
        bool complete = new[] { "3.13", "3.14", "3.15" }.All(v =>
            File.Exists(Path.Combine(cache, "root/usr/bin", $"python{v}")) && Directory.Exists(Path.Combine(cache, "dbg", v, "usr/lib/debug/.build-id")));
        if (complete) return cache;
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(Integration.Repo.Root, "tests", "sid-root.sh"));
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(900_000)) { p.Kill(true); throw new TimeoutException("tests/sid-root.sh took over 15 minutes"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"tests/sid-root.sh failed: {stderr.Result}");
        return stdout.Result.Trim().Split('\n').Last();
    }

    [GeneratedRegex(@"^python(3\.\d+)$")]
    private static partial Regex VersionName();
}
