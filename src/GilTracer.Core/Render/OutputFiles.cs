using GilTracer.Core.Model;

namespace GilTracer.Core.Render;

/// <summary>
/// Creates the files of a pass's outputs, each under a temporary name beside its place; <see cref="Commit"/> moves them
/// all into place once the pass has succeeded, and disposing without a commit deletes them: a pass that fails (a check
/// that can only be made after the last event, an unreadable input) leaves no half-written output behind.
/// A full disk does not stop the pass: writes are dropped from then on (the analysis goes on, so that its numbers can
/// still be shown), and <see cref="Commit"/> then says so instead of moving anything into place.
/// </summary>
public sealed class OutputFiles : IDisposable
{
    readonly List<(string? Temp, string Path, Stream Stream)> _files = new();
    bool _committed;

    /// <summary>The first file that could not be written for lack of space, or null.</summary>
    public string? FullAt { get; private set; }

    /// <summary>A new file that will appear at <paramref name="path"/> on commit (its folder is created now).</summary>
    public Stream Create(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            if (IsNoPlainFile(full))
            {
                // --summary-json /dev/stdout and the like: written through, as there is nothing to replace
                var through = new FileStream(full, FileMode.Create, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
                _files.Add((null, full, through));
                return new SpaceGuard(this, full, through);
            }
            var temp = $"{full}.{Environment.ProcessId}.partial";
            var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            _files.Add((temp, full, stream));
            return new SpaceGuard(this, full, stream);
        }
        catch (IOException e) when (IsDiskFull(e))
        {
            FullAt ??= full;
            return Stream.Null;
        }
    }

    /// <summary>The folder's file system has (nearly) no space left: what a writer that stopped at ENOSPC leaves.</summary>
    public static bool IsFolderFull(string dir)
    {
        try { return new DriveInfo(System.IO.Path.GetFullPath(dir)).AvailableFreeSpace < 64 << 10; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { return false; }
    }

    /// <summary>ENOSPC or EDQUOT: .NET gives the errno as the HResult of the IOException.</summary>
    public static bool IsDiskFull(IOException e) => e.HResult is 28 or 122;

    /// <summary>A symbolic link, a device or a file of /proc: never replaced by a move.</summary>
    static bool IsNoPlainFile(string path) =>
        path.StartsWith("/dev/", StringComparison.Ordinal) || path.StartsWith("/proc/", StringComparison.Ordinal) ||
        File.Exists(path) && new FileInfo(path).LinkTarget is not null;

    /// <summary>Closes every file still open and moves each into place, replacing what was there; when the disk filled up,
    /// moves nothing (the last good outputs stay) and throws: one line naming the full folder.</summary>
    public void Commit()
    {
        foreach (var f in _files) Close(f.Path, f.Stream);
        if (FullAt is { } at)
        {
            var names = _files.Select(f => System.IO.Path.GetFileName(f.Path)).Distinct();
            throw new GilTracerException($"the output folder {System.IO.Path.GetDirectoryName(at)} is full (no space left on its device): " +
                                         $"{string.Join(", ", names)} not written; free some space or choose another folder with -o");
        }
        foreach (var f in _files)
            if (f.Temp is not null) File.Move(f.Temp, f.Path, overwrite: true);
        _committed = true;
    }

    /// <summary>Flushes and closes: with a full disk the flush fails and the file is left as it is (deleted by Dispose).</summary>
    void Close(string path, Stream stream)
    {
        try { stream.Dispose(); }
        catch (IOException e) when (IsDiskFull(e)) { FullAt ??= path; }
    }

    public void Dispose()
    {
        if (_committed) return;
        foreach (var f in _files)
        {
            Close(f.Path, f.Stream);
            if (f.Temp is not null) File.Delete(f.Temp);
        }
    }

    /// <summary>A file's stream that, once its disk is full, drops what is written (and tells its owner) instead of throwing
    /// into the analysis.</summary>
    sealed class SpaceGuard(OutputFiles owner, string path, FileStream inner) : Stream
    {
        bool _full;

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_full) return;
            try { inner.Write(buffer); }
            catch (IOException e) when (IsDiskFull(e)) { Full(); }
        }

        public override void Flush()
        {
            if (_full) return;
            try { inner.Flush(); }
            catch (IOException e) when (IsDiskFull(e)) { Full(); }
        }

        void Full()
        {
            _full = true;
            owner.FullAt ??= path;
        }

        protected override void Dispose(bool disposing)
        {
            // the owner closes the file itself (Commit, Dispose): closing twice is harmless
            if (disposing && !_full) Flush();
            base.Dispose(disposing);
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
