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

    /// <summary>
    /// Whether this process has a controlling terminal, and whether its process group is that terminal's foreground
    /// (then a Ctrl-C typed there is sent to our whole group).
    /// </summary>
    public static (bool HasTerminal, bool Foreground) Terminal
    {
        get
        {
            int fd = Libc.Open("/dev/tty", Libc.O_RDONLY | Libc.O_NOCTTY | Libc.O_CLOEXEC);
            if (fd < 0) return (false, false);
            int foreground = Libc.TcGetPgrp(fd);
            Libc.Close(fd);
            return (true, foreground > 0 && foreground == Libc.GetPgrp());
        }
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
