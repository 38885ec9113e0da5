using System.Buffers.Binary;
using GilTracer.Core.Model;
using Microsoft.Win32.SafeHandles;

namespace GilTracer.Core.Decode;

/// <summary>
/// Reads a perf.data file (as written by `perf record` to a file) straight into <see cref="TraceEvent"/>s,
/// in the order `perf script` prints them: samples of the GIL uprobes and sched tracepoints, COMM, FORK,
/// EXIT, LOST and LOST_SAMPLES records (decoded by <see cref="PerfRecordDecoder"/>). One pass over the data section
/// through a reused buffer; events are sorted per flush round (<see cref="PerfEventOrderer"/>), so memory does not grow
/// with the recording.
/// Bad files raise a <see cref="GilTracerException"/> whose one-line message names the byte offset.
/// </summary>
public sealed class PerfDataReader
{
    private const int BufferSize = 1 << 20;
    private readonly string _path;
    public string Path => _path;
    private readonly PerfDataHeader _header;

    public PerfDataReader(string path)
    {
        _path = path;
        using (var file = OpenHandle(path)) _header = PerfDataHeader.Read(file);
        EventMapper.Map(_header, Warnings);
        if (_header.Unfinished && _header.Attrs.All(a => a.Kind is null))
            throw new GilTracerException($"{path} is truncated: perf could not finish writing it (a full disk, or perf killed), and without the end perf writes last its events have no names");
    }

    /// <summary>perf did not finish the file (see <see cref="PerfDataHeader.Unfinished"/>).</summary>
    public bool Unfinished => _header.Unfinished;
    /// <summary>True when the file has take_gil/drop_gil probe events (any naming <see cref="GilProbeNames"/> knows).</summary>
    public bool HasGilEvents => _header.Attrs.Any(a => a.Kind is { } k && k.IsGil());
    /// <summary>True when the file has sched tracepoints the reader maps.</summary>
    public bool HasSchedEvents => _header.Attrs.Any(a => a.Kind is >= EventKind.SchedSwitch and <= EventKind.Exit);
    /// <summary>How the file was recorded (system-wide, with call stacks), from its header.</summary>
    public PerfRecordingInfo Recording => PerfRecordingInfo.From(_header);
    /// <summary>Things the reader could not map (an event without a tracepoint format, …), one line each.</summary>
    public List<string> Warnings { get; } = new();
    /// <summary>Events perf lost so far: LOST records, or the per-event LOST_SAMPLES totals perf adds at the end when larger (the same losses counted two ways).</summary>
    public long LostEvents { get; private set; }
    /// <summary>Events that arrived older than one already delivered (perf's "out of order events").</summary>
    public long OutOfOrderEvents { get; private set; }
    /// <summary>Samples whose event id matches no event of the header (skipped, as perf does), in the last read.</summary>
    public long UnknownIdSamples { get; private set; }
    /// <summary>Records read from the data section.</summary>
    public long Records { get; private set; }
    long _events;

    /// <summary>What the file held besides the events: final once they were read to the end.</summary>
    public DecodeResult Result => new()
    {
        Input = _path,
        Events = _events,
        HasGilEvents = HasGilEvents,
        HasSchedEvents = HasSchedEvents,
        HasCallStacks = Recording.HasCallchains,
        UnknownIdSamples = UnknownIdSamples,
        Warnings = DecodeResult.WarningsOf(Warnings, false, 0, 0, UnknownIdSamples),
    };
    /// <summary>
    /// Also yield perf's task records: COMM (Kind Comm), FORK (Kind Fork with ChildPid = the child's pid) and
    /// EXIT. Off by default, so that the stream is the one `perf script --ns --show-lost-events` prints
    /// (the text reader's). Synthesized records of threads that existed before recording have TimestampNs 0.
    /// </summary>
    public bool IncludeTaskEvents { get; set; }

    private bool _includeExitRecords;

    internal static GilTracerException Corrupt(long offset, string what) =>
        new($"perf.data is corrupt or truncated at byte {offset}: {what}");

    internal static GilTracerException Unsupported(string what) =>
        new($"perf.data: {what} is not supported");

    private static SafeFileHandle OpenHandle(string path) =>
        File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.SequentialScan);

    /// <summary>
    /// The sample events plus perf's own EXIT records (those it synthesizes at timestamp 0 dropped): exact ends of
    /// thread lives in a recording of GIL probes alone, where a child holding the GIL until its os._exit has no
    /// GIL event after its last take_gil.
    /// </summary>
    public IEnumerable<TraceEvent> ReadEventsWithExits(IProgress<double>? progress = null)
    {
        _includeExitRecords = true;
        return ReadEvents(progress).Where(e => e.Kind != EventKind.Exit || e.TimestampNs > 0);
    }

    public IEnumerable<TraceEvent> ReadEvents(IProgress<double>? progress = null)
    {
        using var file = OpenHandle(_path);
        var decoder = new PerfRecordDecoder(_header.Attrs) { IncludeTaskEvents = IncludeTaskEvents, IncludeExitRecords = _includeExitRecords };
        var state = new ParseState(file, _header, decoder, progress);
        _events = 0;
        var ready = new EventBuffer();
        bool more = true;
        while (more)
        {
            more = ParseUntilReady(state, ready);
            LostEvents = decoder.Lost;
            OutOfOrderEvents = decoder.Orderer.OutOfOrder;
            UnknownIdSamples = decoder.UnknownIdSamples;
            for (int i = 0; i < ready.Count; i++)
            {
                var e = ready[i];
                if (!decoder.Name(ref e)) continue;
                _events++;
                yield return e;
            }
            ready.Clear();
        }
        progress?.Report(1.0);
    }

    /// <summary>Where the parser is in the data section: a window of the file in a reused buffer.</summary>
    private sealed class ParseState(SafeFileHandle file, PerfDataHeader header, PerfRecordDecoder decoder, IProgress<double>? progress)
    {
        public readonly PerfRecordDecoder Decoder = decoder;
        public readonly SafeFileHandle File = file;
        public readonly byte[] Buffer = new byte[BufferSize];
        public long BufferFileOffset = header.DataOffset;
        public int Start, End;
        public readonly long DataStart = header.DataOffset;
        public readonly long DataEnd = header.DataOffset + header.DataSize;
        public readonly IProgress<double>? Progress = progress;
        public double LastProgress;
        public long Position => BufferFileOffset + Start;
    }

    /// <summary>Makes <paramref name="need"/> bytes available at Start; false when the data section ends first.</summary>
    private static bool Ensure(ParseState s, int need)
    {
        if (s.End - s.Start >= need) return true;
        int have = s.End - s.Start;
        System.Buffer.BlockCopy(s.Buffer, s.Start, s.Buffer, 0, have);
        s.BufferFileOffset += s.Start;
        s.Start = 0;
        s.End = have;
        while (s.End < need)
        {
            long left = s.DataEnd - (s.BufferFileOffset + s.End);
            if (left <= 0) return false;
            int n = RandomAccess.Read(s.File, s.Buffer.AsSpan(s.End, (int)Math.Min(s.Buffer.Length - s.End, left)), s.BufferFileOffset + s.End);
            if (n <= 0) return false;
            s.End += n;
        }
        return true;
    }

    /// <summary>Parses records until a flush round yields events or the data ends (returns false then).</summary>
    private bool ParseUntilReady(ParseState s, EventBuffer ready)
    {
        while (true)
        {
            if (!Ensure(s, PerfDataFormat.RecordHeaderSize))
            {
                if (s.End - s.Start > 0 && s.Position < s.DataEnd)
                    throw Corrupt(s.Position, "the last record header is cut off");
                s.Decoder.Orderer.FlushAll(ready);
                s.Decoder.AddUncountedLosses(ready);
                return false;
            }
            long offset = s.Position;
            var head = s.Buffer.AsSpan(s.Start, PerfDataFormat.RecordHeaderSize);
            var type = (PerfRecordType)BinaryPrimitives.ReadUInt32LittleEndian(head);
            int size = BinaryPrimitives.ReadUInt16LittleEndian(head[6..]);
            if (size < PerfDataFormat.RecordHeaderSize) throw Corrupt(offset, $"record of type {(uint)type} has size {size}");
            if (!Ensure(s, size)) throw Corrupt(offset, $"record of {size} bytes is cut off at the end of the data section");
            var rec = new ReadOnlySpan<byte>(s.Buffer, s.Start, size);
            s.Start += size;
            Records++;

            try
            {
                if (type == PerfRecordType.Sample) s.Decoder.Decode(type, rec, offset, ready);
                else if (type != PerfRecordType.FinishedRound) OnOther(type, rec, offset, s, ready);
            }
            catch (Exception ex) when (ex is ArgumentOutOfRangeException or IndexOutOfRangeException)
            {
                // a field pointing outside its record that no explicit check caught: still one clear line
                throw Corrupt(offset, $"malformed record of type {(uint)type} ({size} bytes)");
            }
            if (type == PerfRecordType.FinishedRound)
            {
                s.Decoder.Orderer.FlushRound(ready);
                ReportProgress(s);
                if (ready.Count > 0) return true;
            }
        }
    }

    private static void OnOther(PerfRecordType type, ReadOnlySpan<byte> rec, long offset, ParseState s, EventBuffer ready)
    {
        switch (type)
        {
            case PerfRecordType.Auxtrace:
                // the AUX payload follows the record outside its size
                if (rec.Length >= 16) SkipBytes(s, (long)BinaryPrimitives.ReadUInt64LittleEndian(rec[8..]), offset);
                break;
            case PerfRecordType.Compressed:
                throw Unsupported("a compressed recording (perf record -z); record without -z");
            default: s.Decoder.Decode(type, rec, offset, ready); break;
        }
    }

    private static void SkipBytes(ParseState s, long count, long offset)
    {
        if (count < 0 || s.Position + count > s.DataEnd) throw Corrupt(offset, "AUX payload runs past the data section");
        long inBuffer = Math.Min(count, s.End - s.Start);
        s.Start += (int)inBuffer;
        s.BufferFileOffset += count - inBuffer;
        if (count > inBuffer) { s.BufferFileOffset += s.Start; s.Start = s.End = 0; }
    }

    private static void ReportProgress(ParseState s)
    {
        if (s.Progress is null) return;
        double f = (double)(s.Position - s.DataStart) / Math.Max(1, s.DataEnd - s.DataStart);
        if (f - s.LastProgress >= 0.01) { s.LastProgress = f; s.Progress.Report(f); }
    }
}
