using System.Buffers.Binary;
using GilTracer.Core.Model;

namespace GilTracer.Core.Decode;

/// <summary>
/// Turns the records of perf's data stream into <see cref="TraceEvent"/>s, given the events (attrs) they belong to:
/// samples of the GIL uprobes and sched tracepoints, COMM, FORK, EXIT, LOST and LOST_SAMPLES records. Decoded events wait
/// in its <see cref="Orderer"/> until the reader knows they are final; <see cref="Name"/> then gives each its thread's
/// name as it was at that time. The same for a perf.data file (<see cref="PerfDataReader"/>) and a pipe
/// (<see cref="PerfPipeReader"/>): only where the records come from differs.
/// </summary>
internal sealed class PerfRecordDecoder
{
    private readonly PerfEventAttr? _single;
    private readonly PerfEventAttr _first;
    private readonly Dictionary<ulong, PerfEventAttr> _byId = new();
    private readonly int _sampleIdPos = -1, _trailingIdFromEnd = -1;

    // Thread names as perf script prints them on each sample: COMM records, inherited at FORK, ":tid" when unknown.
    private readonly Dictionary<int, string> _comms = new();
    private int _lastCommTid = int.MinValue;
    private string? _lastComm;

    public PerfEventOrderer Orderer { get; } = new();
    public long MaxTs { get; private set; }
    public long LostRecords { get; private set; }
    public long LostSamples { get; private set; }
    /// <summary>LOST records, or the per-event LOST_SAMPLES totals perf adds at the end when larger (the same losses counted two ways).</summary>
    public long Lost => Math.Max(LostRecords, LostSamples);
    public long UnknownIdSamples { get; private set; }
    /// <summary>Also hand out COMM and FORK records (see <see cref="PerfDataReader.IncludeTaskEvents"/>).</summary>
    public bool IncludeTaskEvents { get; init; }
    /// <summary>Also decode EXIT records (without <see cref="IncludeTaskEvents"/>).</summary>
    public bool IncludeExitRecords { get; init; }
    /// <summary>Forget a thread's name at its EXIT (a live stream runs for days: the names of threads long gone must not pile up).</summary>
    public bool ForgetExited { get; init; }

    public PerfRecordDecoder(IReadOnlyList<PerfEventAttr> attrs)
    {
        _first = attrs[0];
        if (attrs.Count == 1) { _single = attrs[0]; return; }
        foreach (var a in attrs) foreach (var id in a.Ids) _byId.TryAdd(id, a);
        // perf requires all events to put the id at the same place (evlist id_pos); so do we.
        _sampleIdPos = attrs[0].SampleIdPosition();
        _trailingIdFromEnd = attrs[0].TrailingIdFromEnd();
    }

    /// <summary>Decodes a SAMPLE or a task/lost record; other records are ignored. Events without a time go to ready at once.</summary>
    public void Decode(PerfRecordType type, ReadOnlySpan<byte> rec, long offset, EventBuffer ready)
    {
        if (type == PerfRecordType.Sample) OnSample(rec, offset, ready);
        else OnSideband(type, rec, offset, ready);
    }

    /// <summary>
    /// Names an event leaving the orderer, in time order (COMM records rename from their time on); false for the task
    /// records the caller did not ask for, which only update names.
    /// </summary>
    public bool Name(ref TraceEvent e)
    {
        switch (e.Kind)
        {
            case EventKind.Comm:
                SetComm(e.Tid, e.Comm!);
                return IncludeTaskEvents;
            case EventKind.Fork when e.ChildPid != 0: // FORK record: the child starts with its parent's name
                SetComm(e.ChildTid, CommOf(e.Tid));
                if (!IncludeTaskEvents) return false;
                e = e with { Comm = CommOf(e.Tid) };
                return true;
            case EventKind.Lost:
                return true;
            default:
                e = e with { Comm = CommOf(e.Tid) };
                if (ForgetExited && e.Kind == EventKind.Exit && e.TimestampNs > 0) ForgetComm(e.Tid);
                return true;
        }
    }

    private void SetComm(int tid, string comm)
    {
        _comms[tid] = comm;
        if (tid == _lastCommTid) _lastComm = comm;
    }

    private void ForgetComm(int tid)
    {
        _comms.Remove(tid);
        if (tid == _lastCommTid) { _lastCommTid = int.MinValue; _lastComm = null; }
    }

    private string CommOf(int tid)
    {
        if (tid == _lastCommTid) return _lastComm!;
        if (!_comms.TryGetValue(tid, out var comm)) _comms[tid] = comm = ":" + tid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _lastCommTid = tid;
        _lastComm = comm;
        return comm;
    }

    /// <summary>Events without a timestamp (time 0: synthesized at start) go out at once, as perf delivers them.</summary>
    private void Emit(in TraceEvent e, EventBuffer ready)
    {
        if (e.TimestampNs == 0) { ready.Add(e); return; }
        Orderer.Add(e);
        if (e.TimestampNs > MaxTs) MaxTs = e.TimestampNs;
    }

    private PerfEventAttr? AttrOfSample(ReadOnlySpan<byte> rec, long offset)
    {
        if (_single is not null) return _single;
        if (_sampleIdPos < 0 || _sampleIdPos + 8 > rec.Length) throw PerfDataReader.Corrupt(offset, "sample too short for its event id");
        return _byId.GetValueOrDefault(BinaryPrimitives.ReadUInt64LittleEndian(rec[_sampleIdPos..]));
    }

    private PerfEventAttr AttrOfSideband(ReadOnlySpan<byte> rec)
    {
        if (_single is not null) return _single;
        if (_trailingIdFromEnd < 0 || rec.Length - _trailingIdFromEnd < PerfDataFormat.RecordHeaderSize) return _first;
        return _byId.GetValueOrDefault(BinaryPrimitives.ReadUInt64LittleEndian(rec[^_trailingIdFromEnd..])) ?? _first;
    }

    private static uint U32(ReadOnlySpan<byte> rec, int at) => BinaryPrimitives.ReadUInt32LittleEndian(rec[at..]);
    private static long I64(ReadOnlySpan<byte> rec, int at) => BinaryPrimitives.ReadInt64LittleEndian(rec[at..]);

    private void OnSample(ReadOnlySpan<byte> rec, long offset, EventBuffer ready)
    {
        var attr = AttrOfSample(rec, offset);
        if (attr is null) { UnknownIdSamples++; return; }
        if (attr.Kind is not { } kind) return;
        if (rec.Length < attr.SampleFixedEnd) throw PerfDataReader.Corrupt(offset, $"sample of {rec.Length} bytes is shorter than its fixed fields ({attr.SampleFixedEnd})");
        int pid = attr.SampleTidOffset >= 0 ? (int)U32(rec, attr.SampleTidOffset) : -1;
        int tid = attr.SampleTidOffset >= 0 ? (int)U32(rec, attr.SampleTidOffset + 4) : -1;
        long ts = attr.SampleTimeOffset >= 0 ? I64(rec, attr.SampleTimeOffset) : 0;
        int cpu = attr.SampleCpuOffset >= 0 ? (int)U32(rec, attr.SampleCpuOffset) : -1;

        int pos = attr.SampleFixedEnd;
        if (attr.HasCallchain)
        {
            // Skipped: deciding from a call chain whether take_gil is on the stack needs symbols, so recordings
            // with stacks are read through `perf script` (convert); this only keeps the offsets right.
            if (pos + 8 > rec.Length) throw PerfDataReader.Corrupt(offset, "sample's call chain length is cut off");
            ulong nr = BinaryPrimitives.ReadUInt64LittleEndian(rec[pos..]);
            if (nr > (ulong)(rec.Length - pos - 8) / 8) throw PerfDataReader.Corrupt(offset, $"sample's call chain of {nr} entries does not fit in the record");
            pos += 8 + (int)nr * 8;
        }

        if (kind.IsGil())
        {
            Emit(new TraceEvent(kind, ts, pid, tid, cpu), ready);
            return;
        }

        if (!attr.HasRaw || pos + 4 > rec.Length) throw PerfDataReader.Corrupt(offset, $"{attr.Name} sample has no raw tracepoint data");
        uint rawSize = U32(rec, pos);
        if (rawSize > (uint)(rec.Length - pos - 4)) throw PerfDataReader.Corrupt(offset, $"{attr.Name} raw data of {rawSize} bytes does not fit in the record");
        var raw = rec.Slice(pos + 4, (int)rawSize);
        int f1 = Field(raw, attr.Field1, offset, attr);
        var e = kind switch
        {
            EventKind.SchedSwitch => new TraceEvent(kind, ts, pid, f1, cpu,
                    State: EventMapper.DecodePrevState(FieldLong(raw, attr.StateField, offset, attr)))
                { NextTid = Field(raw, attr.Field2, offset, attr) },
            EventKind.SchedWakeup or EventKind.SchedWakeupNew => new TraceEvent(kind, ts, pid, tid, cpu) { WokenTid = f1 },
            EventKind.Fork => new TraceEvent(kind, ts, pid, f1, cpu) { ChildTid = Field(raw, attr.Field2, offset, attr) },
            _ => new TraceEvent(kind, ts, pid, f1, cpu, PidKnown: f1 == tid), // Exit: Tid = the exiting thread
        };
        Emit(e, ready);
    }

    private static int Field(ReadOnlySpan<byte> raw, TracepointField? f, long offset, PerfEventAttr attr) => (int)FieldLong(raw, f, offset, attr);

    private static long FieldLong(ReadOnlySpan<byte> raw, TracepointField? f, long offset, PerfEventAttr attr)
    {
        if (f is not { } field) return 0;
        if (field.Offset + field.Size > raw.Length) throw PerfDataReader.Corrupt(offset, $"{attr.Name} raw data lacks its field {field.Name}");
        var b = raw.Slice(field.Offset, field.Size);
        return field.Size switch
        {
            8 => BinaryPrimitives.ReadInt64LittleEndian(b),
            4 => field.Signed ? BinaryPrimitives.ReadInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b),
            2 => BinaryPrimitives.ReadUInt16LittleEndian(b),
            _ => b[0],
        };
    }

    private void OnSideband(PerfRecordType type, ReadOnlySpan<byte> rec, long offset, EventBuffer ready)
    {
        if (type is not (PerfRecordType.Comm or PerfRecordType.Fork or PerfRecordType.Exit or PerfRecordType.Lost or PerfRecordType.LostSamples))
            return;
        var attr = AttrOfSideband(rec);
        int body = rec.Length - attr.SampleIdSize; // the record's own fields end here
        long ts = attr.IdTimeFromEnd > 0 ? I64(rec, rec.Length - attr.IdTimeFromEnd) : 0;
        int cpu = attr.IdCpuFromEnd > 0 ? (int)U32(rec, rec.Length - attr.IdCpuFromEnd) : -1;
        int idPid = attr.IdTidFromEnd > 0 ? (int)U32(rec, rec.Length - attr.IdTidFromEnd) : -1;
        int idTid = attr.IdTidFromEnd > 0 ? (int)U32(rec, rec.Length - attr.IdTidFromEnd + 4) : -1;
        switch (type)
        {
            case PerfRecordType.Comm:
            {
                // always parsed (even when not yielded): samples carry the thread's name
                if (body < 16) throw PerfDataReader.Corrupt(offset, "COMM record too short");
                var name = rec[16..body];
                int nul = name.IndexOf((byte)0);
                if (nul >= 0) name = name[..nul];
                Emit(new TraceEvent(EventKind.Comm, ts, (int)U32(rec, 8), (int)U32(rec, 12), cpu, Comm: System.Text.Encoding.UTF8.GetString(name)), ready);
                break;
            }
            case PerfRecordType.Fork or PerfRecordType.Exit:
            {
                if (type == PerfRecordType.Exit && !IncludeTaskEvents && !IncludeExitRecords) break;
                // { u32 pid, ppid; u32 tid, ptid; u64 time; }
                if (body < 32) throw PerfDataReader.Corrupt(offset, "FORK/EXIT record too short");
                int pid = (int)U32(rec, 8), ppid = (int)U32(rec, 12), tid = (int)U32(rec, 16), ptid = (int)U32(rec, 20);
                // perf orders and prints these by their sample_id time (the record's own time is taken a little earlier)
                long time = attr.IdTimeFromEnd > 0 ? ts : I64(rec, 24);
                Emit(type == PerfRecordType.Fork
                    ? new TraceEvent(EventKind.Fork, time, ppid, ptid, cpu, ChildPid: pid) { ChildTid = tid }
                    : new TraceEvent(EventKind.Exit, time, pid, tid, cpu), ready);
                break;
            }
            case PerfRecordType.Lost:
            {
                // { u64 id; u64 lost; }
                if (body < 24) throw PerfDataReader.Corrupt(offset, "LOST record too short");
                long lost = I64(rec, 16);
                if (lost < 0) throw PerfDataReader.Corrupt(offset, "LOST record with a negative count");
                LostRecords += lost;
                Emit(new TraceEvent(EventKind.Lost, ts, idPid, idTid, cpu) { LostCount = (int)Math.Min(lost, int.MaxValue) }, ready);
                break;
            }
            case PerfRecordType.LostSamples:
            {
                // { u64 lost; }
                if (body < 16) throw PerfDataReader.Corrupt(offset, "LOST_SAMPLES record too short");
                long lost = I64(rec, 8);
                if (lost < 0) throw PerfDataReader.Corrupt(offset, "LOST_SAMPLES record with a negative count");
                LostSamples += lost;
                break;
            }
        }
    }

    /// <summary>
    /// At the end of the stream: perf synthesizes LOST_SAMPLES per event from the kernel's lost counts, the same losses
    /// as the LOST records broken down. Only what they add beyond LOST becomes an event.
    /// </summary>
    public void AddUncountedLosses(EventBuffer ready)
    {
        if (LostSamples > LostRecords)
            ready.Add(new TraceEvent(EventKind.Lost, MaxTs, -1, -1) { LostCount = (int)Math.Min(LostSamples - LostRecords, int.MaxValue) });
    }
}
