using System.Diagnostics;

namespace GilTracer.Tests.Locate;

/// <summary>
/// Debian's python3.11 (stripped, static) together with its separate debug file, fetched with apt into a folder
/// (never installed): python3.11-minimal + libpython3.11-minimal + python3.11-dbg of one version, which ships
/// /usr/lib/debug/.build-id/…debug for the stripped interpreter. Its stdlib folder points at the system's 3.11
/// stdlib (the -minimal one lacks json). Null, with the reason, when apt cannot fetch it here.
/// </summary>
public static class DebianDbgPython
{
    static readonly Lazy<(string? Root, string Reason)> Fetched = new(Fetch);

    public static string Dir => Path.Combine(Path.GetTempPath(), "giltracer-debian-python3.11-dbg");
    public static string? Root => Fetched.Value.Root;
    public static string Reason => Fetched.Value.Reason;
    public static string Python => Path.Combine(Dir, "root/usr/bin/python3.11");
    public static string DebugDir => Path.Combine(Dir, "root/usr/lib/debug");

    static (string?, string) Fetch()
    {
        if (File.Exists(Path.Combine(Dir, "done"))) return (Dir, "cached");
        try
        {
            if (!File.Exists("/usr/bin/apt-get") || !Directory.Exists("/usr/lib/python3.11"))
                return (null, "not a Debian system with python3.11");
            Directory.CreateDirectory(Dir);
            // One version for all three packages: the debug file must match the binary's build-id.
            var policy = Run("apt-cache", Dir, "policy", "python3.11-dbg");
            var candidate = policy.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("Candidate:"))?["Candidate:".Length..].Trim();
            if (string.IsNullOrEmpty(candidate) || candidate == "(none)") return (null, "apt knows no python3.11-dbg (run apt-get update)");
            foreach (var deb in Directory.GetFiles(Dir, "*.deb")) File.Delete(deb);
            Run("apt-get", Dir, "download", $"python3.11-minimal={candidate}", $"libpython3.11-minimal={candidate}", $"python3.11-dbg={candidate}");
            var root = Path.Combine(Dir, "root");
            if (Directory.Exists(root)) Directory.Delete(root, true);
            foreach (var deb in Directory.GetFiles(Dir, "*.deb")) Run("dpkg-deb", Dir, "-x", deb, root);
            var stdlib = Path.Combine(root, "usr/lib/python3.11");
            Directory.Delete(stdlib, true);
            File.CreateSymbolicLink(stdlib, "/usr/lib/python3.11");
            foreach (var deb in Directory.GetFiles(Dir, "*.deb")) File.Delete(deb);
            File.WriteAllText(Path.Combine(Dir, "done"), candidate);
            return (Dir, $"fetched {candidate}");
        }
        catch (Exception e) { return (null, $"cannot fetch Debian's python3.11 packages: {e.Message}"); }
    }

    static string Run(string file, string cwd, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = cwd };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(300_000)) { p.Kill(true); throw new TimeoutException($"{file} took over 5 minutes"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {e.Result.Trim().Split('\n').Last()}");
        return o.Result;
    }
}
