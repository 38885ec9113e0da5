using GilTracer.Core.Host;

namespace GilTracer.Core.Locate;

/// <summary>A file a process maps, reached from the tracer: Path opens it and names it to uprobe_events (the kernel
/// resolves it to the same inode); ProcessPath is the path inside the process's own root, for messages.</summary>
public sealed record ResolvedFile(string Path, string ProcessPath, string Via);

/// <summary>
/// Turns a /proc/PID/maps line into a path the tracer can open and probe, for processes whose root is not ours too.
/// A chrooted process's maps show host paths, a container's (another mount namespace) show its own paths, which on
/// the host may name another file or none. Candidates, in order: the path as printed, the path through the
/// process's root (/proc/PID/root/…), and /proc/PID/map_files/START-END (root only; always the mapped file). A
/// candidate counts only when it is the same file as the mapping (device and inode), so a path that a process's
/// root redirects elsewhere (symlinks, a host file of the same name) is never opened as its binary.
/// </summary>
public static class MappedFileResolver
{
    public static ResolvedFile? Resolve(int pid, MappedRegion region)
    {
        var proc = $"/proc/{pid}";
        var mapFile = $"{proc}/map_files/{region.Range}";
        // The mapped file itself, when we may look at it; the maps line otherwise (not root).
        var want = Identify(mapFile) ?? new FileId(region.DevMajor, region.DevMinor, region.Inode);
        var processPath = ProcessPath(region.Path, ReadLink($"{proc}/root"));
        if (region.Path.EndsWith(" (deleted)", StringComparison.Ordinal))
            return Identify(mapFile) is not null ? new ResolvedFile(mapFile, processPath, "map_files") : null;
        if (Identify(region.Path) == want) return new ResolvedFile(region.Path, processPath, "path");
        var viaRoot = $"{proc}/root{processPath}";
        if (Identify(viaRoot) == want) return new ResolvedFile(viaRoot, processPath, "process root");
        if (Identify(mapFile) == want) return new ResolvedFile(mapFile, processPath, "map_files");
        return null;
    }

    /// <summary>The path inside the process's root: maps of a chrooted process show the root's host path first.</summary>
    public static string ProcessPath(string mapsPath, string? rootLink)
    {
        if (rootLink is null or "/" || !rootLink.StartsWith('/')) return mapsPath;
        var root = rootLink.TrimEnd('/');
        return mapsPath.StartsWith(root + "/", StringComparison.Ordinal) ? mapsPath[root.Length..] : mapsPath;
    }

    /// <summary>The root of a process as the tracer sees it ("/" for ours and for other mount namespaces), or null.</summary>
    public static string? ReadLink(string path)
    {
        try { return new FileInfo(path).LinkTarget; } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    public readonly record struct FileId(uint Major, uint Minor, ulong Inode);

    /// <summary>Device and inode of the file a path leads to (symlinks followed), or null when it cannot be reached.</summary>
    public static unsafe FileId? Identify(string path)
    {
        var buffer = stackalloc byte[Libc.StatxSize];
        if (Libc.Statx(Libc.AT_FDCWD, path, 0, Libc.STATX_INO, buffer) != 0) return null;
        var inode = *(ulong*)(buffer + 32);
        var major = *(uint*)(buffer + 136);
        var minor = *(uint*)(buffer + 140);
        return new FileId(major, minor, inode);
    }
}
