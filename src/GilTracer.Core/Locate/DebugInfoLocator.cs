using GilTracer.Core.Model;

namespace GilTracer.Core.Locate;

/// <summary>A separate debug file, loaded; Method "debuginfo" (a local file) or "debuginfod" (fetched), Note says which.</summary>
public sealed record DebugFile(string Path, ElfImage Image, string Method, string Note);

/// <summary>
/// Finds the separate debug file of a stripped binary: first a local one, the way gdb does, by build-id
/// (DIR/.build-id/ab/cdef….debug, the layout of Debian's -dbg/-dbgsym packages; its own build-id must match) then by
/// .gnu_debuglink (next to the binary, in .debug/ beside it, or under DIR mirroring its path) with the CRC32 the
/// link records; then from debuginfod servers (<see cref="DebuginfodClient"/>).
/// </summary>
public static class DebugInfoLocator
{
    public static readonly IReadOnlyList<string> DefaultDirectories = ["/usr/lib/debug"];

    /// <summary>Local debug file, then debuginfod (DEBUGINFOD_URLS unless the options say otherwise), or null.
    /// Servers that failed, and a debug file that cannot be read, add to <paramref name="warnings"/>; servers that do
    /// not have the file to <paramref name="notes"/>.</summary>
    public static DebugFile? Resolve(ElfImage binary, LocateOptions options, List<string> notes, List<string> warnings)
    {
        if (FindLoaded(binary, options.DebugDirectories, warnings) is var (local, image))
            return new DebugFile(local, image, "debuginfo", $"symbols from the debug file {local}");
        var debuginfod = options.Debuginfod ?? DebuginfodOptions.FromEnvironment();
        if (debuginfod.Urls.Count == 0 || binary.BuildId is not { } id) return null;
        var fetched = DebuginfodClient.Fetch(id, debuginfod);
        if (fetched.Path is not null)
        {
            try
            {
                var from = fetched.Url == "cache" ? "debuginfod's cache" : $"debuginfod ({fetched.Url})";
                return new DebugFile(fetched.Path, ElfImage.Load(fetched.Path), "debuginfod", $"symbols from the debug file {fetched.Path}, from {from}");
            }
            catch (GilTracerException e) { warnings.Add($"debug file from debuginfod ignored: {e.Message}"); return null; }
        }
        if (fetched.Notes is { } said) notes.AddRange(said);
        if (fetched.Warnings.Count > 0)
            warnings.Add($"no debug file for {binary.Path} (build-id {id}) from debuginfod, so its GIL code is found by disassembly: {string.Join("; ", fetched.Warnings)}");
        return null;
    }

    /// <summary>A local debug file of <paramref name="binary"/>, or null.</summary>
    public static string? Find(ElfImage binary, IReadOnlyList<string>? debugDirectories = null) => FindLoaded(binary, debugDirectories, null)?.Path;

    static (string Path, ElfImage Image)? FindLoaded(ElfImage binary, IReadOnlyList<string>? debugDirectories, List<string>? warnings)
    {
        var dirs = debugDirectories ?? DefaultDirectories;
        if (binary.BuildId is { Length: > 2 } id)
        {
            foreach (var dir in dirs)
            {
                var p = Path.Combine(dir, ".build-id", id[..2], id[2..] + ".debug");
                // Its own build-id must match: a stale or foreign file under the right name is not the binary's.
                if (File.Exists(p) && TryLoad(p, warnings) is { } image && image.BuildId == id) return (p, image);
            }
        }
        if (binary.DebugLink is var (name, crc))
        {
            var binDir = Path.GetDirectoryName(Path.GetFullPath(binary.Path)) ?? "/";
            var candidates = new List<string> { Path.Combine(binDir, name), Path.Combine(binDir, ".debug", name) };
            foreach (var dir in dirs) candidates.Add(Path.Combine(dir, binDir.TrimStart('/'), name));
            foreach (var p in candidates)
                if (p != Path.GetFullPath(binary.Path) && File.Exists(p) && Crc32(p) == crc && TryLoad(p, warnings) is { } image) return (p, image);
        }
        return null;
    }

    static ElfImage? TryLoad(string path, List<string>? warnings)
    {
        try { return ElfImage.Load(path); }
        catch (GilTracerException e) { warnings?.Add($"debug file ignored: {e.Message}"); return null; }
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
