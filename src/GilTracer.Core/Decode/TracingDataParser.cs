using System.Text;

namespace GilTracer.Core.Decode;

/// <summary>
/// Reads the tracepoint formats out of perf.data's TRACING_DATA feature section (the trace-event-info
/// blob written by tools/perf/util/trace-event-info.c): magic, version, endianness, long and page
/// size, header_page, header_event, ftrace formats, then the event formats per system.
/// Everything after the event formats (kallsyms, printk formats, saved cmdlines) is not needed.
/// </summary>
internal static class TracingDataParser
{
    private static ReadOnlySpan<byte> Magic => [0x17, 0x08, 0x44, (byte)'t', (byte)'r', (byte)'a', (byte)'c', (byte)'i', (byte)'n', (byte)'g'];

    public static List<TracepointFormat> Parse(ReadOnlySpan<byte> section, long fileOffset)
    {
        var r = new PerfSpanReader(section, fileOffset);
        if (!r.Take(Magic.Length, "TRACING_DATA magic").SequenceEqual(Magic))
            throw PerfDataReader.Corrupt(fileOffset, "TRACING_DATA section does not start with its magic");
        r.CString("TRACING_DATA version");
        if (r.U8("TRACING_DATA endianness") != 0)
            throw PerfDataReader.Corrupt(r.FileOffset - 1, "TRACING_DATA is big-endian; only little-endian recordings are supported");
        r.U8("TRACING_DATA long size");
        r.U32("TRACING_DATA page size");
        ExpectName(ref r, "header_page"u8);
        r.Skip(r.Length(r.U64("header_page size"), "header_page size"), "header_page");
        ExpectName(ref r, "header_event"u8);
        r.Skip(r.Length(r.U64("header_event size"), "header_event size"), "header_event");

        int ftraceCount = r.Length(r.U32("ftrace format count"), "ftrace format count", 8);
        for (int i = 0; i < ftraceCount; i++) r.Skip(r.Length(r.U64("ftrace format size"), "ftrace format size"), "ftrace format");

        var formats = new List<TracepointFormat>();
        int systems = r.Length(r.U32("event system count"), "event system count");
        for (int s = 0; s < systems; s++)
        {
            string system = Encoding.UTF8.GetString(r.CString("event system name"));
            int count = r.Length(r.U32("event format count"), "event format count", 8);
            for (int i = 0; i < count; i++)
            {
                int size = r.Length(r.U64("event format size"), "event format size");
                if (TracepointFormat.Parse(system, r.Take(size, "event format")) is { } f) formats.Add(f);
            }
        }
        return formats;
    }

    private static void ExpectName(ref PerfSpanReader r, ReadOnlySpan<byte> name)
    {
        long at = r.FileOffset;
        if (!r.CString("TRACING_DATA header name").SequenceEqual(name))
            throw PerfDataReader.Corrupt(at, $"TRACING_DATA lacks its {Encoding.ASCII.GetString(name)} block");
    }
}
