using System.Buffers.Binary;
using GilTracer.Core.Model;

namespace GilTracer.Core.Decode;

/// <summary>
/// Reads perf.data in pipe mode (`perf record -o -`) as it arrives, for a live view: the bytes are pushed in
/// (<see cref="Feed"/>) in chunks of any size, and decoded events wait in time order until the caller says up to when
/// the stream is complete (<see cref="Release"/>; perf's own flush rounds are not waited for, the caller knows more:
/// see Pipeline/LiveRecording). A pipe has no file header to seek back to: what the header holds comes as records before
/// the data: PERF_RECORD_HEADER_ATTR (each event and its ids), HEADER_TRACING_DATA (the tracepoint formats, whose bytes
/// follow the record), EVENT_UPDATE (names), HEADER_FEATURE (ignored), FINISHED_INIT. Memory holds one record, the events
/// not yet released and the names of threads alive: nothing grows with the stream.
/// </summary>
public sealed class PerfPipeReader
{
    const int MaxRecordBytes = 64 << 20; // tracing data of a few tracepoint formats is kilobytes: a larger claim is garbage
    const ulong EventUpdateName = 2;      // PERF_EVENT_UPDATE__NAME

    readonly PerfDataHeader _header = new();
    readonly EventBuffer _ready = new();
    byte[] _buf = new byte[1 << 16];
    int _start, _end;
    long _skip;
    bool _magicRead, _mapped;
    PerfRecordDecoder? _decoder;

    /// <summary>How messages name the stream.</summary>
    public string Input { get; init; } = "perf record's output";
    /// <summary>Bytes of the stream fed in so far.</summary>
    public long Fed { get; private set; }
    /// <summary>Bytes of the stream parsed: every complete record before this offset is decoded.</summary>
    public long Parsed { get; private set; }
    public long Records { get; private set; }
    /// <summary>Events handed out (lost-event records included).</summary>
    public long Events { get; private set; }
    public long LostEvents => _decoder?.Lost ?? 0;
    /// <summary>Events that arrived older than one already released.</summary>
    public long OutOfOrderEvents => _decoder?.Orderer.OutOfOrder ?? 0;
    /// <summary>The newest event time decoded so far (0 before the first).</summary>
    public long NewestNs => _decoder?.MaxTs ?? 0;
    /// <summary>Decoded events waiting for their release.</summary>
    public int Pending => _decoder?.Orderer.Pending ?? 0;
    public bool HasGilEvents => _header.Attrs.Any(a => a.Kind is { } k && k.IsGil());
    public List<string> Warnings { get; } = new();
    /// <summary>The stream ended inside a record (perf was killed).</summary>
    public bool Truncated { get; private set; }

    public DecodeResult Result => new()
    {
        Input = Input,
        Events = Events,
        HasGilEvents = HasGilEvents,
        HasSchedEvents = _header.Attrs.Any(a => a.Kind is >= EventKind.SchedSwitch and <= EventKind.Exit),
        UnknownIdSamples = _decoder?.UnknownIdSamples ?? 0,
        Truncated = Truncated,
        Warnings = DecodeResult.WarningsOf(Warnings, false, 0, 0, _decoder?.UnknownIdSamples ?? 0),
    };

    /// <summary>Decodes every complete record the bytes finish; the rest waits for the next chunk.</summary>
    public void Feed(ReadOnlySpan<byte> data)
    {
        Fed += data.Length;
        if (_skip > 0)
        {
            int n = (int)Math.Min(_skip, data.Length);
            _skip -= n;
            Parsed += n;
            data = data[n..];
        }
        if (data.IsEmpty) return;
        Append(data);
        while (ParseOne()) { }
        if (_start == _end) _start = _end = 0;
    }

    /// <summary>Hands out, in time order, every decoded event up to <paramref name="upToNs"/>: the caller knows none older can come.</summary>
    public void Release(long upToNs, Action<TraceEvent> deliver)
    {
        _decoder?.Orderer.FlushUpTo(upToNs, _ready);
        Deliver(deliver);
    }

    /// <summary>The end of the stream: hands out everything.</summary>
    public void ReleaseAll(Action<TraceEvent> deliver)
    {
        if (_end > _start || _skip > 0) Truncated = true;
        if (_decoder is not null)
        {
            _decoder.Orderer.FlushAll(_ready);
            _decoder.AddUncountedLosses(_ready);
        }
        Deliver(deliver);
    }

    void Deliver(Action<TraceEvent> deliver)
    {
        if (_decoder is null) return;
        for (int i = 0; i < _ready.Count; i++)
        {
            var e = _ready[i];
            if (!_decoder.Name(ref e) || e.Kind == EventKind.Exit && e.TimestampNs == 0) continue; // exits perf made up at its start
            Events++;
            deliver(e);
        }
        _ready.Clear();
    }

    void Append(ReadOnlySpan<byte> data)
    {
        if (_buf.Length - _end < data.Length)
        {
            int have = _end - _start;
            if (_buf.Length - have < data.Length) Array.Resize(ref _buf, Math.Max(_buf.Length * 2, have + data.Length));
            Buffer.BlockCopy(_buf, _start, _buf, 0, have);
            _start = 0;
            _end = have;
        }
        data.CopyTo(_buf.AsSpan(_end));
        _end += data.Length;
    }

    /// <summary>Parses the next record if it is complete; false when more bytes are needed.</summary>
    bool ParseOne()
    {
        int have = _end - _start;
        if (!_magicRead)
        {
            if (have < PerfDataFormat.PipeHeaderSize) return false;
            var head = _buf.AsSpan(_start, PerfDataFormat.PipeHeaderSize);
            ulong magic = BinaryPrimitives.ReadUInt64LittleEndian(head);
            if (magic == PerfDataFormat.MagicSwapped) throw PerfDataReader.Unsupported("big-endian perf.data");
            if (magic != PerfDataFormat.Magic) throw PerfDataReader.Corrupt(0, "not perf.data (no PERFILE2 magic)");
            if (BinaryPrimitives.ReadUInt64LittleEndian(head[8..]) != PerfDataFormat.PipeHeaderSize)
                throw PerfDataReader.Corrupt(8, "a perf.data file, not perf record's pipe output (-o -)");
            Consume(PerfDataFormat.PipeHeaderSize);
            _magicRead = true;
            return true;
        }
        if (have < PerfDataFormat.RecordHeaderSize) return false;
        long offset = Parsed;
        var type = (PerfRecordType)BinaryPrimitives.ReadUInt32LittleEndian(_buf.AsSpan(_start));
        int size = BinaryPrimitives.ReadUInt16LittleEndian(_buf.AsSpan(_start + 6));
        if (size < PerfDataFormat.RecordHeaderSize) throw PerfDataReader.Corrupt(offset, $"record of type {(uint)type} has size {size}");
        if (have < size) return false;
        var rec = new ReadOnlySpan<byte>(_buf, _start, size);
        int payload = 0;
        if (type == PerfRecordType.HeaderTracingData)
        {
            // { header; u32 size; } then size bytes of tracing data outside the record
            if (size < 12) throw PerfDataReader.Corrupt(offset, "HEADER_TRACING_DATA record too short");
            uint dataSize = BinaryPrimitives.ReadUInt32LittleEndian(rec[8..]);
            if (dataSize > MaxRecordBytes) throw PerfDataReader.Corrupt(offset, $"tracing data of {dataSize} bytes is implausibly large");
            payload = (int)dataSize;
            if (have < size + payload) { Reserve(size + payload); return false; }
        }
        Records++;
        try
        {
            OnRecord(type, rec, offset, new ReadOnlySpan<byte>(_buf, _start + size, payload));
        }
        catch (Exception ex) when (ex is ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            throw PerfDataReader.Corrupt(offset, $"malformed record of type {(uint)type} ({size} bytes)");
        }
        Consume(size + payload);
        return true;
    }

    void Consume(int n)
    {
        _start += n;
        Parsed += n;
    }

    /// <summary>Room for a record larger than the buffer (tracing data).</summary>
    void Reserve(int n)
    {
        if (_buf.Length >= n) return;
        var bigger = new byte[Math.Max(n, _buf.Length * 2)];
        Buffer.BlockCopy(_buf, _start, bigger, 0, _end - _start);
        _end -= _start;
        _start = 0;
        _buf = bigger;
    }

    void OnRecord(PerfRecordType type, ReadOnlySpan<byte> rec, long offset, ReadOnlySpan<byte> payload)
    {
        switch (type)
        {
            case PerfRecordType.HeaderAttr:
                OnAttr(rec, offset);
                return;
            case PerfRecordType.HeaderTracingData:
                _header.Formats.AddRange(TracingDataParser.Parse(payload, offset + rec.Length));
                return;
            case PerfRecordType.EventUpdate:
                OnEventUpdate(rec);
                return;
            case PerfRecordType.FinishedInit:
                Map();
                return;
            case PerfRecordType.Auxtrace:
                // the AUX payload follows the record outside its size: skipped as it streams past
                if (rec.Length >= 16) _skip = (long)BinaryPrimitives.ReadUInt64LittleEndian(rec[8..]);
                if (_skip < 0 || _skip > MaxRecordBytes) throw PerfDataReader.Corrupt(offset, "AUX payload size is implausible");
                int inBuffer = (int)Math.Min(_skip, _end - _start - rec.Length);
                _skip -= inBuffer;
                _start += inBuffer;
                Parsed += inBuffer;
                return;
            case PerfRecordType.Compressed:
                throw PerfDataReader.Unsupported("a compressed recording (perf record -z); record without -z");
        }
        if ((uint)type >= (uint)PerfRecordType.HeaderAttr) return; // perf's other own records: features, maps, rounds, build ids
        if (_decoder is null)
        {
            if (_header.Attrs.Count == 0) throw PerfDataReader.Corrupt(offset, "a record came before any event attribute (HEADER_ATTR)");
            _decoder = new PerfRecordDecoder(_header.Attrs) { IncludeExitRecords = true, ForgetExited = true };
        }
        if (type == PerfRecordType.Sample && !_mapped) Map();
        _decoder.Decode(type, rec, offset, _ready);
    }

    /// <summary>{ header; perf_event_attr (attr.size bytes); u64 ids[]; }</summary>
    void OnAttr(ReadOnlySpan<byte> rec, long offset)
    {
        if (_decoder is not null) throw PerfDataReader.Corrupt(offset, "an event attribute (HEADER_ATTR) after the data started");
        var body = rec[PerfDataFormat.RecordHeaderSize..];
        if (body.Length < 8) throw PerfDataReader.Corrupt(offset, "HEADER_ATTR record too short");
        int attrSize = (int)BinaryPrimitives.ReadUInt32LittleEndian(body[4..]);
        if (attrSize < 64 || attrSize > body.Length || (body.Length - attrSize) % 8 != 0)
            throw PerfDataReader.Corrupt(offset, $"HEADER_ATTR with attr size {attrSize} in a record of {rec.Length} bytes");
        var attr = PerfDataHeader.ParseAttr(body[..attrSize], offset + PerfDataFormat.RecordHeaderSize, _header.Attrs.Count);
        var ids = body[attrSize..];
        attr.Ids = new ulong[ids.Length / 8];
        for (int k = 0; k < attr.Ids.Length; k++) attr.Ids[k] = BinaryPrimitives.ReadUInt64LittleEndian(ids[(k * 8)..]);
        attr.ComputeLayout();
        _header.Attrs.Add(attr);
    }

    /// <summary>{ header; u64 type; u64 id; name (NUL-terminated) when type is NAME }: how a pipe names its events.</summary>
    void OnEventUpdate(ReadOnlySpan<byte> rec)
    {
        if (rec.Length < 24 || BinaryPrimitives.ReadUInt64LittleEndian(rec[8..]) != EventUpdateName) return;
        ulong id = BinaryPrimitives.ReadUInt64LittleEndian(rec[16..]);
        var name = rec[24..];
        int nul = name.IndexOf((byte)0);
        if (nul >= 0) name = name[..nul];
        foreach (var a in _header.Attrs)
            if (Array.IndexOf(a.Ids, id) >= 0) a.Name = System.Text.Encoding.UTF8.GetString(name);
    }

    /// <summary>Gives each event its kind once the header records are in (names, tracepoint formats).</summary>
    void Map()
    {
        if (_mapped) return;
        _mapped = true;
        EventMapper.Map(_header, Warnings);
    }
}
