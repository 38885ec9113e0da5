using System.Diagnostics;

namespace GilTracer.Tests.Locate;

/// <summary>
/// Debian sid's newest CPythons (static, stripped builds in a sid root made by tests/sid-root.sh) and their debug
/// files, unpacked beside the root (never installed in it). Made on first use when missing, as CI does: tests that
/// need it never skip. sid moves, so the versions are read from the root, never assumed.
/// </summary>
public static class SidPythons
{
    static readonly Lazy<string> Made = new(Make);

    /// <summary>The cache folder: root/ (the sid root) and dbg/3.X/usr/lib/debug (the -dbg packages).</summary>
    public static string Cache => Made.Value;
    public static string Root => Path.Combine(Cache, "root");

    /// <summary>Every python3.X in the root that has its debug files beside it, e.g. ["3.13", "3.14", "3.15"].</summary>
    public static IReadOnlyList<string> Versions => Directory.GetDirectories(Path.Combine(Cache, "dbg"))
        .Select(Path.GetFileName).OfType<string>()
        .Where(v => File.Exists(Python(v)))
        .OrderBy(v => Version.Parse(v)).ToList();

    /// <summary>The interpreter's path on the host (inside the root).</summary>
    public static string Python(string version) => Path.Combine(Root, "usr/bin/python" + version);
    public static string DebugDir(string version) => Path.Combine(Cache, "dbg", version, "usr/lib/debug");

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
        var script = Path.Combine(RepoRoot(), "tests", "sid-root.sh");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(900_000)) { p.Kill(true); throw new TimeoutException("tests/sid-root.sh took over 15 minutes"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"tests/sid-root.sh failed: {e.Result.Trim()}");
        var cache = o.Result.Trim().Split('\n').Last().Trim();
        if (!Directory.Exists(Path.Combine(cache, "dbg"))) throw new InvalidOperationException($"tests/sid-root.sh printed '{cache}', which holds no dbg/");
        return cache;
    }

    static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "tests", "sid-root.sh"))) return d.FullName;
        throw new InvalidOperationException("cannot find the repository (tests/sid-root.sh) above " + AppContext.BaseDirectory);
    }
}
