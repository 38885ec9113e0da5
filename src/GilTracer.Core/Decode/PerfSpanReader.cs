using System.Buffers.Binary;

namespace GilTracer.Core.Decode;

/// <summary>
/// Forward-only little-endian reader over a span of a perf.data file. Knows the file offset of its first
/// byte so that every error names the byte where the file stopped making sense.
/// </summary>
internal ref struct PerfSpanReader
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly long _baseOffset;
    private int _pos;

    public PerfSpanReader(ReadOnlySpan<byte> data, long baseOffset)
    {
        _data = data;
        _baseOffset = baseOffset;
    }

    public int Position => _pos;
    public int Remaining => _data.Length - _pos;
    public long FileOffset => _baseOffset + _pos;
    public bool End => _pos >= _data.Length;

    public ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count < 0 || count > Remaining) throw PerfDataReader.Corrupt(FileOffset, $"{what} runs past its section ({count} bytes wanted, {Remaining} left)");
        var s = _data.Slice(_pos, count);
        _pos += count;
        return s;
    }

    public void Skip(long count, string what)
    {
        if (count < 0 || count > Remaining) throw PerfDataReader.Corrupt(FileOffset, $"{what} runs past its section ({count} bytes wanted, {Remaining} left)");
        _pos += (int)count;
    }

    public uint U32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Take(4, what));
    public ulong U64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, what));
    public byte U8(string what) => Take(1, what)[0];

    /// <summary>A count or size that must fit what is left of the section (guards against huge garbage values).</summary>
    public int Length(ulong value, string what, int unit = 1)
    {
        if (value > (ulong)Remaining || value * (ulong)unit > (ulong)Remaining)
            throw PerfDataReader.Corrupt(FileOffset, $"{what} of {value} does not fit in the {Remaining} bytes left");
        return (int)value;
    }

    /// <summary>A NUL-terminated string (TRACING_DATA names).</summary>
    public ReadOnlySpan<byte> CString(string what)
    {
        int n = _data[_pos..].IndexOf((byte)0);
        if (n < 0) throw PerfDataReader.Corrupt(FileOffset, $"{what} is not NUL-terminated");
        var s = _data.Slice(_pos, n);
        _pos += n + 1;
        return s;
    }

    /// <summary>perf_header_string: u32 len (padded, includes the NUL), then the bytes.</summary>
    public string HeaderString(string what)
    {
        int len = Length(U32(what), what);
        var bytes = Take(len, what);
        int nul = bytes.IndexOf((byte)0);
        if (nul >= 0) bytes = bytes[..nul];
        return System.Text.Encoding.UTF8.GetString(bytes);
    }
}
