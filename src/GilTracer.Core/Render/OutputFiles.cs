namespace GilTracer.Core.Render;

/// <summary>
/// Creates the files of a pass's outputs, each under a temporary name beside its place; <see cref="Commit"/> moves them
/// all into place once the pass has succeeded, and disposing without a commit deletes them: a pass that fails (a check
/// that can only be made after the last event, an unreadable input) leaves no half-written output behind.
/// </summary>
public sealed class OutputFiles : IDisposable
{
    readonly List<(string? Temp, string Path, Stream Stream)> _files = new();
    bool _committed;

    /// <summary>A new file that will appear at <paramref name="path"/> on commit (its folder is created now).</summary>
    public Stream Create(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        if (IsNoPlainFile(full))
        {
            // --summary-json /dev/stdout and the like: written through, as there is nothing to replace
            var through = new FileStream(full, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
            _files.Add((null, full, through));
            return through;
        }
        var temp = $"{full}.{Environment.ProcessId}.partial";
        var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        _files.Add((temp, full, stream));
        return stream;
    }

    /// <summary>A symbolic link, a device or a file of /proc: never replaced by a move.</summary>
    static bool IsNoPlainFile(string path) =>
        path.StartsWith("/dev/", StringComparison.Ordinal) || path.StartsWith("/proc/", StringComparison.Ordinal) ||
        File.Exists(path) && new FileInfo(path).LinkTarget is not null;

    /// <summary>Closes every file still open and moves each into place, replacing what was there.</summary>
    public void Commit()
    {
        foreach (var f in _files) f.Stream.Dispose();
        foreach (var f in _files)
            if (f.Temp is not null) File.Move(f.Temp, f.Path, overwrite: true);
        _committed = true;
    }

    public void Dispose()
    {
        if (_committed) return;
        foreach (var f in _files)
        {
            f.Stream.Dispose();
            if (f.Temp is not null) File.Delete(f.Temp);
        }
    }
}
