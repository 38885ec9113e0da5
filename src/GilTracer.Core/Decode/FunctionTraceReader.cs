using System.Buffers.Binary;
using System.Text.Json;
using GilTracer.Core.Model;

namespace GilTracer.Core.Decode;

/// <summary>
/// Reads what python/giltracer_functions.py wrote: functions.bin (16-byte header "GILFUNC1", u32 record size,
/// u32 flags; then records "&lt;qII": ts, tid, id &lt;&lt; 3 | kind) and functions.names.jsonl (code, thread, start,
/// mode and stats lines). A file cut by a crash is read up to its last whole record.
/// </summary>
public static class FunctionTraceReader
{
    public const string RecordsFile = "functions.bin";
    public const string NamesFile = "functions.names.jsonl";
    const int HeaderSize = 16, RecordSize = 16;

    /// <summary>The tracer's directory (or functions.bin); null when the tracer wrote nothing there.</summary>
    public static FunctionTrace? TryRead(string path)
    {
        var bin = Directory.Exists(path) ? Path.Combine(path, RecordsFile) : path;
        return File.Exists(bin) ? Read(path) : null;
    }

    /// <summary>PATH is the tracer's output directory or its functions.bin.</summary>
    public static FunctionTrace Read(string path)
    {
        string bin = Directory.Exists(path) ? Path.Combine(path, RecordsFile) : path;
        string names = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(bin))!, NamesFile);
        if (!File.Exists(bin)) throw new GilTracerException($"function trace not found: {bin}");
        if (!File.Exists(names)) throw new GilTracerException($"function names not found: {names} (it is written beside {RecordsFile})");
        using var records = File.OpenRead(bin);
        using var namesStream = File.OpenRead(names);
        return Read(records, namesStream, bin);
    }

    public static FunctionTrace Read(Stream records, Stream names, string label = "function trace")
    {
        var (list, truncated) = ReadRecords(records, label);
        int pid = 0, codes = 0;
        string version = "", mode = "";
        TracerStats? stats = null;
        var functions = new Dictionary<int, FunctionInfo>();
        var threads = new Dictionary<int, string>();
        using var text = new StreamReader(names);
        int lineNo = 0;
        while (text.ReadLine() is { } line)
        {
            lineNo++;
            if (line.Length == 0) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException)
            {
                if (text.Peek() < 0) break; // the last line cut by a crash
                throw new GilTracerException($"{label}: names line {lineNo} is not JSON");
            }
            using var parsed = doc;
            try
            {
                var o = doc.RootElement;
                if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty("k", out var k)) continue;
                switch (k.GetString())
                {
                    case "code":
                        int id = o.GetProperty("id").GetInt32();
                        functions[id] = new FunctionInfo(id, o.GetProperty("name").GetString() ?? "?",
                            o.GetProperty("file").GetString() ?? "?", o.GetProperty("line").GetInt32());
                        break;
                    case "thread":
                        threads[o.GetProperty("tid").GetInt32()] = o.GetProperty("name").GetString() ?? "";
                        break;
                    case "start":
                        pid = o.GetProperty("pid").GetInt32();
                        version = o.GetProperty("python").GetString() ?? "";
                        break;
                    case "mode":
                        mode = o.GetProperty("mode").GetString() ?? "";
                        break;
                    case "stats":
                        codes = o.GetProperty("codes").GetInt32();
                        stats = new TracerStats(o.GetProperty("events").GetInt64(), o.GetProperty("flushes").GetInt64(), codes,
                            o.GetProperty("est_ns_per_event").GetDouble(), o.GetProperty("est_overhead_ns").GetInt64());
                        break;
                }
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // valid JSON with a field missing or of another type: not what our tracer writes
                throw new GilTracerException($"{label}: names line {lineNo} is not a function tracer record ({e.Message})");
            }
        }
        var trace = new FunctionTrace
        {
            Pid = pid, PythonVersion = version, Mode = mode, Records = list, Stats = stats, Truncated = truncated,
        };
        foreach (var (id, f) in functions) trace.Functions[id] = f;
        foreach (var (tid, n) in threads) trace.ThreadNames[tid] = n;
        return trace;
    }

    static (FunctionRecord[] Records, bool Truncated) ReadRecords(Stream s, string label)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        if (s.ReadAtLeast(header, HeaderSize, throwOnEndOfStream: false) < HeaderSize || !header[..8].SequenceEqual("GILFUNC1"u8))
            throw new GilTracerException($"{label} is not a GilTracer function trace (no GILFUNC1 header)");
        if (BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) != RecordSize)
            throw new GilTracerException($"{label}: unsupported record size {BinaryPrimitives.ReadUInt32LittleEndian(header[8..])}");
        var list = s.CanSeek ? new List<FunctionRecord>((int)Math.Min(int.MaxValue, (s.Length - HeaderSize) / RecordSize)) : new List<FunctionRecord>();
        var buf = new byte[1 << 16];
        int filled = 0;
        while (true)
        {
            int n = s.Read(buf, filled, buf.Length - filled);
            if (n == 0) break;
            filled += n;
            int whole = filled / RecordSize * RecordSize;
            Parse(buf.AsSpan(0, whole), list);
            Buffer.BlockCopy(buf, whole, buf, 0, filled - whole);
            filled -= whole;
        }
        return (list.ToArray(), filled != 0);
    }

    static void Parse(ReadOnlySpan<byte> span, List<FunctionRecord> list)
    {
        for (int i = 0; i < span.Length; i += RecordSize)
        {
            var r = span.Slice(i, RecordSize);
            long ts = BinaryPrimitives.ReadInt64LittleEndian(r);
            int tid = (int)BinaryPrimitives.ReadUInt32LittleEndian(r[8..]);
            uint word = BinaryPrimitives.ReadUInt32LittleEndian(r[12..]);
            var kind = (FunctionRecordKind)(word & 7);
            if (kind > FunctionRecordKind.GcStop) continue; // a kind from a newer tracer: skip, do not guess
            list.Add(new FunctionRecord(ts, tid, kind, (int)(word >> 3)));
        }
    }
}
