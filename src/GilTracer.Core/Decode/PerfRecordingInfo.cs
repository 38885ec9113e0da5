using System.Diagnostics;
using GilTracer.Core.Record;

namespace GilTracer.Core.Decode;

/// <summary>
/// What a perf.data file's header says about how it was recorded (`perf report --header-only`): whether it is
/// system-wide (`-a`: other processes' events are in it and must be filtered out) and whether samples carry call
/// stacks (then `perf script` must print them, to tell sleeps inside take_gil).
/// </summary>
public sealed record PerfRecordingInfo(bool SystemWide, bool HasCallchains, string? CommandLine)
{
    public static PerfRecordingInfo Read(string perfData)
    {
        var psi = new ProcessStartInfo(SystemChecks.FindPerf())
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in new[] { "report", "--header-only", "-i", perfData }) psi.ArgumentList.Add(a);
        using var proc = Process.Start(psi)!;
        _ = proc.StandardError.ReadToEndAsync();
        var text = proc.StandardOutput.ReadToEnd();
        proc.WaitForExit();
        return Parse(text);
    }

    public static PerfRecordingInfo Parse(string header)
    {
        string? cmdline = null;
        bool callchains = false;
        foreach (var raw in header.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("# cmdline :", StringComparison.Ordinal)) cmdline = line["# cmdline :".Length..].Trim();
            else if (line.StartsWith("# event :", StringComparison.Ordinal) && line.Contains("CALLCHAIN", StringComparison.Ordinal)) callchains = true;
        }
        return new PerfRecordingInfo(cmdline is not null && IsSystemWide(cmdline), callchains, cmdline);
    }

    /// <summary>-a or --all-cpus among perf's own options (before "--"; the workload's arguments do not count).</summary>
    static bool IsSystemWide(string cmdline)
    {
        foreach (var token in cmdline.Split(' ', StringSplitOptions.RemoveEmptyEntries))
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
