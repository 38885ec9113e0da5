using Microsoft.Win32.SafeHandles;

namespace GilTracer.Core.Decode;

/// <summary>
/// How a perf.data file was recorded, from its own header (no perf binary needed): whether it is system-wide
/// (`-a`: other processes' events are in it and must be filtered out) and whether samples carry call stacks
/// (then `perf script` must print them, to tell sleeps inside take_gil).
/// </summary>
public sealed record PerfRecordingInfo(bool SystemWide, bool HasCallchains)
{
    /// <summary>Reads the file header; throws a GilTracerException on a file the reader cannot take (big-endian, pipe mode, corrupt).</summary>
    public static PerfRecordingInfo Read(string perfData)
    {
        using SafeFileHandle file = File.OpenHandle(perfData, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return From(PerfDataHeader.Read(file));
    }

    /// <summary>System-wide from perf's command line (CMDLINE feature: -a leaves no trace in the attrs); call stacks from sample_type.</summary>
    internal static PerfRecordingInfo From(PerfDataHeader header) =>
        new(header.CommandLine is { } argv && IsSystemWide(argv), header.Attrs.Any(a => a.HasCallchain));

    /// <summary>-a or --all-cpus among perf's own options (before "--"; the workload's arguments do not count).</summary>
    internal static bool IsSystemWide(IReadOnlyList<string> argv)
    {
        foreach (var token in argv)
        {
            if (token == "--") break;
            if (token == "--all-cpus") return true;
            // Short options may be grouped (-aR); values of options never start with a dash here.
            if (token.Length > 1 && token[0] == '-' && token[1] != '-' && token.Skip(1).All(char.IsAsciiLetter) && token.Contains('a'))
                return true;
        }
        return false;
    }
}
