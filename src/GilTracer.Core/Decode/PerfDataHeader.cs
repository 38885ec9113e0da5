using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace GilTracer.Core.Decode;

/// <summary>
/// The parts of a perf.data file outside the data section: the file header, the events (perf_file_attr
/// array), and the feature sections the reader needs (EVENT_DESC for names, TRACING_DATA for tracepoint
/// layouts, CMDLINE for how it was recorded).
/// </summary>
internal sealed class PerfDataHeader
{
    public long DataOffset { get; private init; }
    public long DataSize { get; private init; }
    /// <summary>perf never wrote the final header (a full disk, perf killed): the data section's size is 0 though data
    /// follows, and the feature sections (the events' names) are missing.</summary>
    public bool Unfinished { get; private init; }
    public List<PerfEventAttr> Attrs { get; } = new();
    public List<TracepointFormat> Formats { get; } = new();
    /// <summary>perf's argv (CMDLINE feature), perf's own path first; null when absent.</summary>
    public string[]? CommandLine { get; private set; }

    /// <summary>Reads and checks the header; throws GilTracerException naming the offending byte offset.</summary>
    public static PerfDataHeader Read(SafeFileHandle file)
    {
        long length = RandomAccess.GetLength(file);
        Span<byte> buf = stackalloc byte[PerfDataFormat.FileHeaderSize];
        int got = RandomAccess.Read(file, buf, 0);
        if (got < 8) throw PerfDataReader.Corrupt(got, "file is too short to be a perf.data file");
        ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(buf);
        if (magic == PerfDataFormat.MagicSwapped) throw PerfDataReader.Unsupported("big-endian perf.data");
        if (magic != PerfDataFormat.Magic) throw PerfDataReader.Corrupt(0, "not a perf.data file (no PERFILE2 magic)");
        if (got < 16) throw PerfDataReader.Corrupt(got, "file header is truncated");
        ulong headerSize = BinaryPrimitives.ReadUInt64LittleEndian(buf[8..]);
        if (headerSize == PerfDataFormat.PipeHeaderSize)
            throw PerfDataReader.Unsupported("pipe-mode perf.data (perf record -o -); record to a file");
        if (headerSize != PerfDataFormat.FileHeaderSize)
            throw PerfDataReader.Corrupt(8, $"unexpected file header size {headerSize}");
        if (got < PerfDataFormat.FileHeaderSize) throw PerfDataReader.Corrupt(got, "file header is truncated");

        var r = new PerfSpanReader(buf, 0);
        r.Skip(16, "magic and size");
        ulong attrSize = r.U64("attr_size");
        var attrs = Section(ref r, length, "attrs");
        var data = Section(ref r, length, "data");
        Section(ref r, length, "event_types");
        ulong f0 = r.U64("features"), f1 = r.U64("features"), f2 = r.U64("features"), f3 = r.U64("features");

        long dataSize = data.Size;
        if (dataSize == 0 && length > data.Offset) dataSize = length - data.Offset; // perf did not finish: read to the end
        var header = new PerfDataHeader { DataOffset = data.Offset, DataSize = dataSize, Unfinished = data.Size == 0 && dataSize > 0 };
        header.ReadAttrs(file, attrs, attrSize);
        if (data.Size > 0) header.ReadFeatures(file, data.Offset + data.Size, [f0, f1, f2, f3], length);
        foreach (var a in header.Attrs) a.ComputeLayout();
        return header;
    }

    private readonly record struct FileSection(long Offset, long Size);

    private static FileSection Section(ref PerfSpanReader r, long fileLength, string what)
    {
        long at = r.FileOffset;
        ulong off = r.U64(what), size = r.U64(what);
        if (off > (ulong)fileLength || size > (ulong)fileLength - off)
            throw PerfDataReader.Corrupt(at, $"{what} section ({off}+{size}) lies beyond the end of the file ({fileLength} bytes): truncated?");
        return new FileSection((long)off, (long)size);
    }

    private static byte[] ReadSection(SafeFileHandle file, FileSection s, string what)
    {
        if (s.Size > 512L << 20) throw PerfDataReader.Corrupt(s.Offset, $"{what} section is implausibly large ({s.Size} bytes)");
        var bytes = new byte[s.Size];
        int got = RandomAccess.Read(file, bytes, s.Offset);
        if (got != bytes.Length) throw PerfDataReader.Corrupt(s.Offset + got, $"{what} section is truncated");
        return bytes;
    }

    private void ReadAttrs(SafeFileHandle file, FileSection section, ulong fileAttrSize)
    {
        if (fileAttrSize < 64 + 16 || fileAttrSize > 4096) throw PerfDataReader.Corrupt(16, $"unexpected attr_size {fileAttrSize}");
        if (section.Size == 0 || section.Size % (long)fileAttrSize != 0)
            throw PerfDataReader.Corrupt(24, $"attrs section size {section.Size} is not a multiple of attr_size {fileAttrSize}");
        var bytes = ReadSection(file, section, "attrs");
        var r = new PerfSpanReader(bytes, section.Offset);
        int count = (int)(section.Size / (long)fileAttrSize);
        long fileLength = RandomAccess.GetLength(file);
        for (int i = 0; i < count; i++)
        {
            var attr = ParseAttr(r.Take((int)fileAttrSize - 16, "perf_event_attr"), r.FileOffset, i);
            var ids = Section(ref r, fileLength, "attr ids");
            if (ids.Size % 8 != 0 || ids.Size > 1 << 24) throw PerfDataReader.Corrupt(ids.Offset, "attr ids section has a bad size");
            var idBytes = ReadSection(file, ids, "attr ids");
            attr.Ids = new ulong[idBytes.Length / 8];
            for (int k = 0; k < attr.Ids.Length; k++) attr.Ids[k] = BinaryPrimitives.ReadUInt64LittleEndian(idBytes.AsSpan(k * 8));
            Attrs.Add(attr);
        }
    }

    /// <summary>perf_event_attr: type@0 size@4 config@8 sample_period@16 sample_type@24 read_format@32 flags@40 … clockid@92.</summary>
    internal static PerfEventAttr ParseAttr(ReadOnlySpan<byte> a, long offset, int index)
    {
        if (a.Length < 64) throw PerfDataReader.Corrupt(offset, "perf_event_attr is too short");
        ulong flags = BinaryPrimitives.ReadUInt64LittleEndian(a[40..]);
        return new PerfEventAttr
        {
            Index = index,
            Type = BinaryPrimitives.ReadUInt32LittleEndian(a),
            Config = BinaryPrimitives.ReadUInt64LittleEndian(a[8..]),
            SampleType = (PerfSampleType)BinaryPrimitives.ReadUInt64LittleEndian(a[24..]),
            ReadFormat = (PerfReadFormat)BinaryPrimitives.ReadUInt64LittleEndian(a[32..]),
            SampleIdAll = (flags & (1UL << 18)) != 0,
        };
    }

    private void ReadFeatures(SafeFileHandle file, long tableOffset, ulong[] bits, long fileLength)
    {
        // One perf_file_section per set feature bit, in bit order, right after the data section.
        var sections = new List<(int Feature, FileSection Section)>();
        int n = 0;
        for (int bit = 1; bit < 256; bit++) if ((bits[bit / 64] & (1UL << (bit % 64))) != 0) n++;
        var table = new byte[n * 16];
        int got = RandomAccess.Read(file, table, tableOffset);
        if (got != table.Length) throw PerfDataReader.Corrupt(tableOffset + got, "feature section table is truncated");
        var r = new PerfSpanReader(table, tableOffset);
        for (int bit = 1; bit < 256; bit++)
            if ((bits[bit / 64] & (1UL << (bit % 64))) != 0) sections.Add((bit, Section(ref r, fileLength, "feature")));

        foreach (var (feature, s) in sections)
        {
            switch ((PerfFeature)feature)
            {
                case PerfFeature.TracingData:
                    Formats.AddRange(TracingDataParser.Parse(ReadSection(file, s, "TRACING_DATA"), s.Offset));
                    break;
                case PerfFeature.EventDesc:
                    ReadEventDesc(ReadSection(file, s, "EVENT_DESC"), s.Offset);
                    break;
                case PerfFeature.CmdLine:
                    CommandLine = ReadCmdLine(ReadSection(file, s, "CMDLINE"), s.Offset);
                    break;
            }
        }
    }

    /// <summary>CMDLINE: u32 nr, then nr perf_header_strings (argv).</summary>
    private static string[] ReadCmdLine(byte[] bytes, long offset)
    {
        var r = new PerfSpanReader(bytes, offset);
        int nr = r.Length(r.U32("CMDLINE count"), "CMDLINE count", 4);
        var args = new string[nr];
        for (int i = 0; i < nr; i++) args[i] = r.HeaderString("CMDLINE argument");
        return args;
    }

    /// <summary>EVENT_DESC: u32 nr, u32 attr_size, then per event: attr, u32 nr_ids, perf_header_string name, u64 ids[nr_ids].</summary>
    private void ReadEventDesc(byte[] bytes, long offset)
    {
        var r = new PerfSpanReader(bytes, offset);
        int nr = r.Length(r.U32("EVENT_DESC count"), "EVENT_DESC count");
        int attrSize = r.Length(r.U32("EVENT_DESC attr size"), "EVENT_DESC attr size");
        for (int i = 0; i < nr; i++)
        {
            r.Skip(attrSize, "EVENT_DESC attr");
            int nrIds = r.Length(r.U32("EVENT_DESC id count"), "EVENT_DESC id count", 8);
            string name = r.HeaderString("EVENT_DESC name");
            ulong firstId = 0;
            for (int k = 0; k < nrIds; k++) { ulong id = r.U64("EVENT_DESC id"); if (k == 0) firstId = id; }
            // Match by id (robust to reordering), else by position.
            PerfEventAttr? attr = nrIds > 0 ? Attrs.Find(a => a.Ids.Length > 0 && a.Ids[0] == firstId) : null;
            attr ??= i < Attrs.Count ? Attrs[i] : null;
            if (attr is not null) attr.Name = name;
        }
    }
}
