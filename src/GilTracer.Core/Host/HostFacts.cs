using GilTracer.Core.Model;

namespace GilTracer.Core.Host;

/// <summary>
/// What every stage may ask about the machine: where perf is, whether we run as root, the kernel (tracefs is
/// <see cref="TraceFs"/>). A folder of its own beside Model because these are facts read from the system (PATH,
/// /proc, syscalls), not data passed between stages; it depends on nothing but Model, so Locate, Probe, Record,
/// Decode and Doctor can all use it without reaching into one another. Nothing is cached: tests change PATH.
/// </summary>
public static class HostFacts
{
    /// <summary>What to do when perf is missing (also doctor's fix line).</summary>
    public const string InstallPerf = "install it (Debian/Ubuntu: apt-get install linux-perf; Fedora: dnf install perf)";

    /// <summary>The first <paramref name="name"/> in a PATH directory, as execvp would find it (PATH unset: /usr/bin:/bin); null when none.</summary>
    public static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    /// <summary>Path of perf on PATH, or null.</summary>
    public static string? PerfOrNull => FindOnPath("perf");

    /// <summary>Full path of perf, or a clear error (<paramref name="why"/>: what needs it, when that is not obvious).</summary>
    public static string FindPerf(string? why = null) => PerfOrNull ?? throw new GilTracerException(
        $"perf not found on PATH: {(why is null ? "" : why + "; ")}{InstallPerf}");

    public static bool IsRoot => Libc.GetEuid() == 0;

    public static void RequireRoot()
    {
        if (!IsRoot)
            throw new GilTracerException("creating uprobes needs root: run giltracer with sudo (or as root)");
    }

    /// <summary>The running kernel's release (uname -r), null when /proc is not readable.</summary>
    public static string? KernelRelease => ReadTrimmed("/proc/sys/kernel/osrelease");

    /// <summary>kernel.perf_event_paranoid, null when unreadable.</summary>
    public static string? PerfEventParanoid => ReadTrimmed("/proc/sys/kernel/perf_event_paranoid");

    static string? ReadTrimmed(string path)
    {
        try { return File.ReadAllText(path).Trim(); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
