using System.Buffers.Binary;

namespace GilTracer.Core.Decode;

/// <summary>
/// Tells a stream (standard input) holding a perf.data from one holding text by its first 8 bytes, perf.data's magic,
/// without losing them: the returned stream yields them again. A perf.data must be read with seeks (its header points
/// into the file), so a caller spools it to a file; text streams through.
/// </summary>
public static class FormatSniffer
{
    public static (bool IsPerfData, Stream Stream) Sniff(Stream input)
    {
        var head = new byte[8];
        int n = input.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        bool perfData = n == 8 && BinaryPrimitives.ReadUInt64LittleEndian(head) is PerfDataFormat.Magic or PerfDataFormat.MagicSwapped;
        return (perfData, new Prefixed(head.AsMemory(0, n), input));
    }

    /// <summary>The bytes already read, then the rest of the stream.</summary>
    sealed class Prefixed(ReadOnlyMemory<byte> prefix, Stream rest) : Stream
    {
        ReadOnlyMemory<byte> _prefix = prefix;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_prefix.IsEmpty) return rest.Read(buffer);
            int n = Math.Min(buffer.Length, _prefix.Length);
            _prefix.Span[..n].CopyTo(buffer);
            _prefix = _prefix[n..];
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) rest.Dispose();
            base.Dispose(disposing);
        }
    }
}
