using GilTracer.Core.Model;

namespace GilTracer.Core.Decode;

/// <summary>
/// One event of a perf.data file (perf_event_attr + its ids + its name) and the precomputed layout of its
/// samples, so that the hot loop reads fields at fixed offsets instead of walking sample_type bits per record.
/// </summary>
internal sealed class PerfEventAttr
{
    public int Index { get; init; }
    public uint Type { get; init; }
    public ulong Config { get; init; }
    public PerfSampleType SampleType { get; init; }
    public PerfReadFormat ReadFormat { get; init; }
    public bool SampleIdAll { get; init; }
    public ulong[] Ids { get; set; } = [];
    /// <summary>"group:name" (e.g. "giltracer_12:take_gil", "sched:sched_switch"); from EVENT_DESC or TRACING_DATA.</summary>
    public string? Name { get; set; }

    /// <summary>What its samples mean; null for events the reader ignores (dummy, cycles, unknown tracepoints).</summary>
    public EventKind? Kind { get; set; }
    /// <summary>Raw-data offsets of the tracepoint fields the kind needs (-1 = absent). See <see cref="PerfDataReader"/>.</summary>
    public TracepointField? Field1 { get; set; }
    public TracepointField? Field2 { get; set; }
    public TracepointField? StateField { get; set; }

    // Offsets inside a PERF_RECORD_SAMPLE, counted from the record's start (after its 8-byte header); -1 = absent.
    public int SampleTidOffset { get; private set; } = -1;
    public int SampleTimeOffset { get; private set; } = -1;
    public int SampleCpuOffset { get; private set; } = -1;
    /// <summary>Where the variable part (callchain, raw) starts: after IP…PERIOD and READ.</summary>
    public int SampleFixedEnd { get; private set; }
    public bool HasCallchain => (SampleType & PerfSampleType.Callchain) != 0;
    public bool HasRaw => (SampleType & PerfSampleType.Raw) != 0;

    // Offsets of the trailing sample_id (sample_id_all) counted back from the record's end; -1 = absent.
    public int IdTidFromEnd { get; private set; } = -1;
    public int IdTimeFromEnd { get; private set; } = -1;
    public int IdCpuFromEnd { get; private set; } = -1;
    public int SampleIdSize { get; private set; }

    public void ComputeLayout()
    {
        var st = SampleType;
        int off = PerfDataFormat.RecordHeaderSize;
        if ((st & PerfSampleType.Identifier) != 0) off += 8;
        if ((st & PerfSampleType.Ip) != 0) off += 8;
        if ((st & PerfSampleType.Tid) != 0) { SampleTidOffset = off; off += 8; }
        if ((st & PerfSampleType.Time) != 0) { SampleTimeOffset = off; off += 8; }
        if ((st & PerfSampleType.Addr) != 0) off += 8;
        if ((st & PerfSampleType.Id) != 0) off += 8;
        if ((st & PerfSampleType.StreamId) != 0) off += 8;
        if ((st & PerfSampleType.Cpu) != 0) { SampleCpuOffset = off; off += 8; }
        if ((st & PerfSampleType.Period) != 0) off += 8;
        if ((st & PerfSampleType.Read) != 0) off += ReadSize();
        SampleFixedEnd = off;

        // sample_id = { pid,tid; time; id; stream_id; cpu,res; identifier }, at the record's end
        int back = 0;
        if (SampleIdAll)
        {
            if ((st & PerfSampleType.Identifier) != 0) back += 8;
            if ((st & PerfSampleType.Cpu) != 0) { back += 8; IdCpuFromEnd = back; }
            if ((st & PerfSampleType.StreamId) != 0) back += 8;
            if ((st & PerfSampleType.Id) != 0) back += 8;
            if ((st & PerfSampleType.Time) != 0) { back += 8; IdTimeFromEnd = back; }
            if ((st & PerfSampleType.Tid) != 0) { back += 8; IdTidFromEnd = back; }
        }
        SampleIdSize = back;
    }

    /// <summary>Size of the READ part of a sample (read_format). Group reads are sized per member; perf record does not use them for tracepoints.</summary>
    private int ReadSize()
    {
        var rf = ReadFormat;
        int perValue = 8 + ((rf & PerfReadFormat.Id) != 0 ? 8 : 0) + ((rf & PerfReadFormat.Lost) != 0 ? 8 : 0);
        int times = ((rf & PerfReadFormat.TotalTimeEnabled) != 0 ? 8 : 0) + ((rf & PerfReadFormat.TotalTimeRunning) != 0 ? 8 : 0);
        if ((rf & PerfReadFormat.Group) != 0)
            throw PerfDataReader.Unsupported("group read samples (PERF_FORMAT_GROUP)");
        return perValue + times;
    }

    /// <summary>Position in a sample of the event id perf uses to tell events apart (evlist id_pos), -1 = none.</summary>
    public int SampleIdPosition()
    {
        var st = SampleType;
        if ((st & PerfSampleType.Identifier) != 0) return PerfDataFormat.RecordHeaderSize;
        if ((st & PerfSampleType.Id) == 0) return -1;
        int off = PerfDataFormat.RecordHeaderSize;
        foreach (var bit in new[] { PerfSampleType.Ip, PerfSampleType.Tid, PerfSampleType.Time, PerfSampleType.Addr })
            if ((st & bit) != 0) off += 8;
        return off;
    }

    /// <summary>Position of the id in a non-sample record's trailing sample_id, counted back from its end; -1 = none.</summary>
    public int TrailingIdFromEnd()
    {
        var st = SampleType;
        if ((st & PerfSampleType.Identifier) != 0) return 8;
        if ((st & PerfSampleType.Id) == 0) return -1;
        int back = 8;
        if ((st & PerfSampleType.Cpu) != 0) back += 8;
        if ((st & PerfSampleType.StreamId) != 0) back += 8;
        return back;
    }
}
