using System.Runtime.InteropServices;
using GilTracer.Core.Model;

namespace GilTracer.Core.Record;

/// <summary>What must hold before recording, each failure with the command that fixes it.</summary>
public static partial class SystemChecks
{
    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();

    public static bool IsRoot => GetEuid() == 0;

    /// <summary>Full path of perf, or a clear error.</summary>
    public static string FindPerf()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            var p = Path.Combine(dir, "perf");
            if (File.Exists(p)) return p;
        }
        throw new GilTracerException("perf not found on PATH: install it (Debian/Ubuntu: apt-get install linux-perf; Fedora: dnf install perf)");
    }

    public static void RequireRoot()
    {
        if (!IsRoot)
            throw new GilTracerException("creating uprobes needs root: run giltracer with sudo (or as root)");
    }
}
