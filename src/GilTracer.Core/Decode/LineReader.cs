namespace GilTracer.Core.Decode;

/// <summary>
/// Forward-only reader of '\n'-terminated lines over a stream, handing out spans into one reused buffer:
/// no string per line. A final line without '\n' is returned too (IsTruncated tells the caller).
/// </summary>
public sealed class LineReader(Stream stream, int bufferSize = 1 << 20)
{
    byte[] _buffer = new byte[bufferSize];
    int _start, _end;
    bool _eof;

    /// <summary>Bytes consumed so far (for progress and for naming where bad data is).</summary>
    public long Position { get; private set; }
    public bool LastLineWasTruncated { get; private set; }

    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            int nl = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
            if (nl >= 0)
            {
                line = _buffer.AsSpan(_start, nl);
                _start += nl + 1;
                Position += nl + 1;
                return true;
            }
            if (_eof)
            {
                if (_start < _end)
                {
                    line = _buffer.AsSpan(_start, _end - _start);
                    Position += _end - _start;
                    _start = _end;
                    LastLineWasTruncated = true;
                    return true;
                }
                line = default;
                return false;
            }
            Fill();
        }
    }

    void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2); // a line longer than the buffer
        int n = stream.Read(_buffer, _end, _buffer.Length - _end);
        if (n == 0) _eof = true;
        _end += n;
    }
}
