using GilTracer.Core.Model;

namespace GilTracer.Core.Probe;

/// <summary>Where the kernel's tracing file system is mounted (we never mount it ourselves outside `giltracer setup`).</summary>
public static class TraceFs
{
    static readonly string[] Candidates = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

    public static string? TryFind() => Candidates.FirstOrDefault(d => File.Exists(Path.Combine(d, "uprobe_events")));

    public static string Find() => TryFind() ?? throw new GilTracerException(
        "tracefs is not mounted (no /sys/kernel/tracing/uprobe_events); run `giltracer setup` as root (it mounts tracefs), or `mount -t tracefs nodev /sys/kernel/tracing`");

    public static string UprobeEvents => Path.Combine(Find(), "uprobe_events");
}
