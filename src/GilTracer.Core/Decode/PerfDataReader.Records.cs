using System.Buffers.Binary;
using GilTracer.Core.Model;

namespace GilTracer.Core.Decode;

/// <summary>Decoding of single records: PERF_RECORD_SAMPLE (GIL probes, sched tracepoints) and the task/lost records.</summary>
public sealed partial class PerfDataReader
{
    private PerfEventAttr? AttrOfSample(ReadOnlySpan<byte> rec, long offset)
    {
        if (_single is not null) return _single;
        if (_sampleIdPos < 0 || _sampleIdPos + 8 > rec.Length) throw Corrupt(offset, "sample too short for its event id");
        return _byId.GetValueOrDefault(BinaryPrimitives.ReadUInt64LittleEndian(rec[_sampleIdPos..]));
    }

    private PerfEventAttr AttrOfSideband(ReadOnlySpan<byte> rec)
    {
        if (_single is not null) return _single;
        if (_trailingIdFromEnd < 0 || rec.Length - _trailingIdFromEnd < PerfDataFormat.RecordHeaderSize) return _header.Attrs[0];
        return _byId.GetValueOrDefault(BinaryPrimitives.ReadUInt64LittleEndian(rec[^_trailingIdFromEnd..])) ?? _header.Attrs[0];
    }

    private static uint U32(ReadOnlySpan<byte> rec, int at) => BinaryPrimitives.ReadUInt32LittleEndian(rec[at..]);
    private static long I64(ReadOnlySpan<byte> rec, int at) => BinaryPrimitives.ReadInt64LittleEndian(rec[at..]);

    private void OnSample(ReadOnlySpan<byte> rec, long offset, ParseState s, EventBuffer ready)
    {
        var attr = AttrOfSample(rec, offset);
        if (attr is null) { UnknownIdSamples++; return; }
        if (attr.Kind is not { } kind) return;
        if (rec.Length < attr.SampleFixedEnd) throw Corrupt(offset, $"sample of {rec.Length} bytes is shorter than its fixed fields ({attr.SampleFixedEnd})");
        int pid = attr.SampleTidOffset >= 0 ? (int)U32(rec, attr.SampleTidOffset) : -1;
        int tid = attr.SampleTidOffset >= 0 ? (int)U32(rec, attr.SampleTidOffset + 4) : -1;
        long ts = attr.SampleTimeOffset >= 0 ? I64(rec, attr.SampleTimeOffset) : 0;
        int cpu = attr.SampleCpuOffset >= 0 ? (int)U32(rec, attr.SampleCpuOffset) : -1;

        int pos = attr.SampleFixedEnd;
        if (attr.HasCallchain)
        {
            // Skipped: deciding from a call chain whether take_gil is on the stack needs symbols, so recordings
            // with stacks are read through `perf script` (convert); this only keeps the offsets right.
            if (pos + 8 > rec.Length) throw Corrupt(offset, "sample's call chain length is cut off");
            ulong nr = BinaryPrimitives.ReadUInt64LittleEndian(rec[pos..]);
            if (nr > (ulong)(rec.Length - pos - 8) / 8) throw Corrupt(offset, $"sample's call chain of {nr} entries does not fit in the record");
            pos += 8 + (int)nr * 8;
        }

        if (kind.IsGil())
        {
            Emit(new TraceEvent(kind, ts, pid, tid, cpu), s, ready);
            return;
        }

        if (!attr.HasRaw || pos + 4 > rec.Length) throw Corrupt(offset, $"{attr.Name} sample has no raw tracepoint data");
        uint rawSize = U32(rec, pos);
        if (rawSize > (uint)(rec.Length - pos - 4)) throw Corrupt(offset, $"{attr.Name} raw data of {rawSize} bytes does not fit in the record");
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
        Emit(e, s, ready);
    }

    private static int Field(ReadOnlySpan<byte> raw, TracepointField? f, long offset, PerfEventAttr attr) => (int)FieldLong(raw, f, offset, attr);

    private static long FieldLong(ReadOnlySpan<byte> raw, TracepointField? f, long offset, PerfEventAttr attr)
    {
        if (f is not { } field) return 0;
        if (field.Offset + field.Size > raw.Length) throw Corrupt(offset, $"{attr.Name} raw data lacks its field {field.Name}");
        var b = raw.Slice(field.Offset, field.Size);
        return field.Size switch
        {
            8 => BinaryPrimitives.ReadInt64LittleEndian(b),
            4 => field.Signed ? BinaryPrimitives.ReadInt32LittleEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b),
            2 => BinaryPrimitives.ReadUInt16LittleEndian(b),
            _ => b[0],
        };
    }

    private void OnSideband(PerfRecordType type, ReadOnlySpan<byte> rec, long offset, ParseState s, EventBuffer ready)
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
                if (body < 16) throw Corrupt(offset, "COMM record too short");
                var name = rec[16..body];
                int nul = name.IndexOf((byte)0);
                if (nul >= 0) name = name[..nul];
                Emit(new TraceEvent(EventKind.Comm, ts, (int)U32(rec, 8), (int)U32(rec, 12), cpu, Comm: System.Text.Encoding.UTF8.GetString(name)), s, ready);
                break;
            }
            case PerfRecordType.Fork or PerfRecordType.Exit:
            {
                if (type == PerfRecordType.Exit && !IncludeTaskEvents && !_includeExitRecords) break;
                // { u32 pid, ppid; u32 tid, ptid; u64 time; }
                if (body < 32) throw Corrupt(offset, "FORK/EXIT record too short");
                int pid = (int)U32(rec, 8), ppid = (int)U32(rec, 12), tid = (int)U32(rec, 16), ptid = (int)U32(rec, 20);
                // perf orders and prints these by their sample_id time (the record's own time is taken a little earlier)
                long time = attr.IdTimeFromEnd > 0 ? ts : I64(rec, 24);
                Emit(type == PerfRecordType.Fork
                    ? new TraceEvent(EventKind.Fork, time, ppid, ptid, cpu, ChildPid: pid) { ChildTid = tid }
                    : new TraceEvent(EventKind.Exit, time, pid, tid, cpu), s, ready);
                break;
            }
            case PerfRecordType.Lost:
            {
                // { u64 id; u64 lost; }
                if (body < 24) throw Corrupt(offset, "LOST record too short");
                long lost = I64(rec, 16);
                if (lost < 0) throw Corrupt(offset, "LOST record with a negative count");
                s.LostRecords += lost;
                Emit(new TraceEvent(EventKind.Lost, ts, idPid, idTid, cpu) { LostCount = (int)Math.Min(lost, int.MaxValue) }, s, ready);
                break;
            }
            case PerfRecordType.LostSamples:
            {
                // { u64 lost; }
                if (body < 16) throw Corrupt(offset, "LOST_SAMPLES record too short");
                long lost = I64(rec, 8);
                if (lost < 0) throw Corrupt(offset, "LOST_SAMPLES record with a negative count");
                s.LostSamples += lost;
                break;
            }
        }
    }
}
