namespace GilTracer.Core.Render;

/// <summary>
/// Creates the files of a pass's outputs, each under a temporary name beside its place; <see cref="Commit"/> moves them
/// all into place once the pass has succeeded, and disposing without a commit deletes them: a pass that fails (a check
/// that can only be made after the last event, an unreadable input) leaves no half-written output behind.
/// </summary>
public sealed class OutputFiles : IDisposable
{
    readonly List<(string Temp, string Path, Stream Stream)> _files = new();
    bool _committed;

    /// <summary>A new file that will appear at <paramref name="path"/> on commit (its folder is created now).</summary>
    public Stream Create(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Environment.ProcessId}.partial";
        var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        _files.Add((temp, full, stream));
        return stream;
    }

    /// <summary>Closes every file still open and moves each into place, replacing what was there.</summary>
    public void Commit()
    {
        foreach (var f in _files) f.Stream.Dispose();
        foreach (var f in _files) File.Move(f.Temp, f.Path, overwrite: true);
        _committed = true;
    }

    public void Dispose()
    {
        if (_committed) return;
        foreach (var f in _files)
        {
            f.Stream.Dispose();
            File.Delete(f.Temp);
        }
    }
}
