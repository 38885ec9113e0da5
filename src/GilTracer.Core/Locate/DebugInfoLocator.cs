namespace GilTracer.Core.Locate;

/// <summary>
/// Finds the separate debug file of a stripped binary the way gdb does: by build-id
/// (DIR/.build-id/ab/cdef….debug, the layout of Debian's -dbg/-dbgsym packages and debuginfod caches), then by
/// .gnu_debuglink (next to the binary, in .debug/ beside it, or under DIR mirroring its path) with the CRC32
/// the link records.
/// </summary>
public static class DebugInfoLocator
{
    public static readonly IReadOnlyList<string> DefaultDirectories = ["/usr/lib/debug"];

    public static string? Find(ElfImage binary, IReadOnlyList<string>? debugDirectories = null)
    {
        var dirs = debugDirectories ?? DefaultDirectories;
        if (binary.BuildId is { Length: > 2 } id)
        {
            foreach (var dir in dirs)
            {
                var p = Path.Combine(dir, ".build-id", id[..2], id[2..] + ".debug");
                if (File.Exists(p)) return p;
            }
        }
        if (binary.DebugLink is var (name, crc))
        {
            var binDir = Path.GetDirectoryName(Path.GetFullPath(binary.Path)) ?? "/";
            var candidates = new List<string> { Path.Combine(binDir, name), Path.Combine(binDir, ".debug", name) };
            foreach (var dir in dirs) candidates.Add(Path.Combine(dir, binDir.TrimStart('/'), name));
            foreach (var p in candidates)
                if (p != Path.GetFullPath(binary.Path) && File.Exists(p) && Crc32(p) == crc) return p;
        }
        return null;
    }

    static readonly uint[] Table = MakeTable();

    static uint[] MakeTable()
    {
        var t = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }

    /// <summary>The CRC32 .gnu_debuglink records (zlib's polynomial).</summary>
    public static uint Crc32(string path)
    {
        uint crc = 0xffffffff;
        using var fs = File.OpenRead(path);
        var buf = new byte[1 << 16];
        int n;
        while ((n = fs.Read(buf)) > 0)
            foreach (var b in buf.AsSpan(0, n)) crc = Table[(crc ^ b) & 0xff] ^ (crc >> 8);
        return ~crc;
    }
}
