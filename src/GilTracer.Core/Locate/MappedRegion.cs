using System.Globalization;

namespace GilTracer.Core.Locate;

/// <summary>
/// One line of /proc/PID/maps that maps a file: its address range (the name of its /proc/PID/map_files entry), the
/// file's device and inode, and its path as the kernel prints it for the reader (a chrooted process's files show
/// with their host path, a container's with the path inside its mount namespace; "(deleted)" suffix kept).
/// </summary>
public sealed record MappedRegion(ulong Start, ulong End, ulong Offset, uint DevMajor, uint DevMinor, ulong Inode, string Path)
{
    /// <summary>"400000-425000": the entry of /proc/PID/map_files that opens this very file.</summary>
    public string Range => $"{Start:x}-{End:x}";

    /// <summary>The regions of a maps text that map a file (paths starting with '/'), in order.</summary>
    public static List<MappedRegion> Parse(string maps)
    {
        var regions = new List<MappedRegion>();
        foreach (var raw in maps.AsSpan().EnumerateLines())
        {
            // "start-end perms offset major:minor inode   path"
            int slash = raw.IndexOf('/');
            if (slash < 0) continue;
            var fields = raw[..slash].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 5) continue;
            var range = fields[0].Split('-');
            var dev = fields[3].Split(':');
            if (range.Length != 2 || dev.Length != 2
                || !ulong.TryParse(range[0], NumberStyles.HexNumber, null, out var start)
                || !ulong.TryParse(range[1], NumberStyles.HexNumber, null, out var end)
                || !ulong.TryParse(fields[2], NumberStyles.HexNumber, null, out var offset)
                || !uint.TryParse(dev[0], NumberStyles.HexNumber, null, out var major)
                || !uint.TryParse(dev[1], NumberStyles.HexNumber, null, out var minor)
                || !ulong.TryParse(fields[4], out var inode)) continue;
            regions.Add(new MappedRegion(start, end, offset, major, minor, inode, raw[slash..].TrimEnd().ToString()));
        }
        return regions;
    }
}
