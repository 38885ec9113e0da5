using GilTracer.Core.Model;

namespace GilTracer.Core.Host;

/// <summary>Where the kernel's tracing file system is mounted (we never mount it ourselves outside `giltracer setup`).</summary>
public static class TraceFs
{
    static readonly string[] Candidates = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

    public static string? TryFind() => Candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "uprobe_events")));

    public static string Find() => TryFind() ?? throw new GilTracerException(
        "tracefs is not mounted (no /sys/kernel/tracing/uprobe_events); run `giltracer setup` as root (it mounts tracefs), or `mount -t tracefs nodev /sys/kernel/tracing`");

    public static string UprobeEvents => Path.Combine(Find(), "uprobe_events");

    public const string MountPoint = "/sys/kernel/tracing";

    /// <summary>
    /// `giltracer setup` only: mounts tracefs at /sys/kernel/tracing when no tracefs is mounted. Returns what was
    /// done, one line; throws when it cannot.
    /// </summary>
    public static string MountIfMissing()
    {
        if (TryFind() is { } dir) return $"tracefs is already mounted at {dir}: nothing to do";
        if (!HostFacts.IsRoot) throw new GilTracerException("mounting tracefs needs root: sudo giltracer setup");
        if (!Directory.Exists(MountPoint))
            throw new GilTracerException($"{MountPoint} does not exist: is sysfs mounted? (mount -t sysfs sysfs /sys)");
        var psi = new System.Diagnostics.ProcessStartInfo("mount") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-t", "tracefs", "nodev", MountPoint }) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd().Trim();
        p.WaitForExit();
        if (p.ExitCode != 0 || TryFind() is null)
            throw new GilTracerException($"mount -t tracefs nodev {MountPoint} failed: {err} (in a container, run it with --privileged or mount tracefs on the host)");
        return $"mounted tracefs: mount -t tracefs nodev {MountPoint}";
    }
}
