using System.Buffers.Text;
using System.Text;
using GilTracer.Core.Model;

namespace GilTracer.Core.Decode;

/// <summary>
/// Reads `perf script --ns` text (default fields; comm may contain spaces): sample lines "comm [pid/]tid [cpu] secs.frac: group:event: payload",
/// GIL uprobes under any naming (ours, perf probe's, the seed article's), sched tracepoints, and call stacks
/// (-g) following a sample, which only serve to tell whether take_gil is on a sched event's stack.
/// Span-based: no regex, no string per line; strings only for thread names when they change.
/// </summary>
public sealed class PerfScriptTextReader
{
    readonly Dictionary<int, (byte[] Bytes, string Text)> _comms = new();
    TraceEvent _pending;
    bool _hasPending;

    long _malformedLines, _unknownEvents, _samples;
    bool _truncated, _sawSchedEvents, _sawGilEvents, _sawStacks;

    /// <summary>
    /// Lines not understood before the first that is, after which the input is not perf script text: an endless stream
    /// (/dev/urandom, `yes`) gets an error at once instead of being read forever. perf script never starts so.
    /// </summary>
    public const int MaxLinesBeforeFirstEvent = 1000;

    /// <summary>How errors name the input: its path, or "standard input".</summary>
    public string Input { get; init; } = "perf script text";

    /// <summary>What the text held besides the events: final once they were read to the end.</summary>
    public DecodeResult Result => new()
    {
        Input = Input,
        Events = _samples,
        HasGilEvents = _sawGilEvents,
        HasSchedEvents = _sawSchedEvents,
        HasCallStacks = _sawStacks,
        MalformedLines = _malformedLines,
        UnknownEvents = _unknownEvents,
        Truncated = _truncated,
        Warnings = DecodeResult.WarningsOf([], _truncated, _malformedLines, _unknownEvents, 0),
    };

    /// <param name="progress">Gets the share of a seekable stream read so far, now and then.</param>
    public IEnumerable<TraceEvent> Read(Stream stream, IProgress<double>? progress = null)
    {
        var lines = new LineReader(stream);
        var events = new List<TraceEvent>(4);
        if (!stream.CanSeek) progress = null;
        for (long n = 1; ; n++)
        {
            events.Clear();
            if (!ReadBatch(lines, events)) break;
            foreach (var e in events) yield return e;
            if (progress is not null && (n & 0xFFFF) == 0) progress.Report((double)stream.Position / Math.Max(1, stream.Length));
        }
        if (_hasPending) { _hasPending = false; yield return _pending; }
        _truncated = lines.LastLineWasTruncated;
    }

    /// <summary>Reads one line (spans cannot cross a yield, so parsing happens here); false at the end.</summary>
    bool ReadBatch(LineReader lines, List<TraceEvent> output)
    {
        if (!lines.TryReadLine(out var line)) return false;
        if (line.Length > 0 && line[^1] == '\r') line = line[..^1];
        var trimmed = line.TrimStart(" \t"u8);
        if (trimmed.IsEmpty)
        {
            FlushPending(output);
            return true;
        }
        if (_hasPending && IsStackFrame(line, trimmed))
        {
            _sawStacks = true;
            if (trimmed.IndexOf("take_gil"u8) >= 0) _pending = _pending with { StackHasTakeGil = true };
            return true;
        }
        if (IsStackFrame(line, trimmed)) return true; // frames of a GIL sample: not needed
        FlushPending(output);
        bool first = _samples == 0 && _unknownEvents == 0;
        if (first && line.IndexOf((byte)0) >= 0)
            throw new GilTracerException($"{Input} is neither `perf script` output nor a perf.data file (it holds binary data)");
        if (first && _malformedLines >= MaxLinesBeforeFirstEvent)
            throw new GilTracerException($"{Input} is not `perf script` output (its first {_malformedLines} lines are not); produce it with `perf script --ns`");
        if (TryParseSample(line, out var e))
        {
            _samples++;
            if (e.Kind is EventKind.SchedSwitch or EventKind.SchedWakeup or EventKind.SchedWakeupNew or EventKind.Fork or EventKind.Exit)
            {
                // Hold it back: stack lines may follow and say whether it slept inside take_gil.
                _pending = e;
                _hasPending = true;
            }
            else output.Add(e);
        }
        return true;
    }

    void FlushPending(List<TraceEvent> output)
    {
        if (!_hasPending) return;
        output.Add(_pending);
        _hasPending = false;
    }

    /// <summary>"\t    7f4884b977b1 pthread_cond_timedwait+0x271 (/lib/…)": indented, starts with a hex address.</summary>
    static bool IsStackFrame(ReadOnlySpan<byte> line, ReadOnlySpan<byte> trimmed)
    {
        if (line.Length == trimmed.Length) return false;
        int i = 0;
        while (i < trimmed.Length && IsHex(trimmed[i])) i++;
        return i > 0 && (i == trimmed.Length || trimmed[i] == ' ');
    }

    static bool IsHex(byte b) => (uint)(b - '0') <= 9 || (uint)((b | 0x20) - 'a') <= 5;

    bool TryParseSample(ReadOnlySpan<byte> line, out TraceEvent e)
    {
        e = default;
        if (line.IndexOf("PERF_RECORD_LOST"u8) >= 0) return TryParseLost(line, out e);
        // The timestamp is the first token "digits.digits:" followed by a space; comm (left of it) may hold spaces.
        int timeStart = -1, timeEnd = -1;
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] != ':' || i + 1 < line.Length && line[i + 1] != ' ') continue;
            int s = i - 1;
            bool dot = false;
            while (s >= 0 && (char.IsAsciiDigit((char)line[s]) || line[s] == '.' && !dot)) { if (line[s] == '.') dot = true; s--; }
            if (dot && s >= 0 && line[s] == ' ' && s + 1 < i) { timeStart = s + 1; timeEnd = i; break; }
        }
        if (timeStart < 0) { _malformedLines++; return false; }
        if (!TryParseTime(line[timeStart..timeEnd], out long ts)) { _malformedLines++; return false; }

        // Left of the time: "comm pid/tid [cpu]" or "comm tid [cpu]" or without the cpu.
        var head = line[..timeStart].TrimEnd((byte)' ');
        int cpu = -1;
        if (head.Length > 0 && head[^1] == ']')
        {
            int open = head.LastIndexOf((byte)'[');
            if (open < 0 || !Utf8Parser.TryParse(head[(open + 1)..^1], out cpu, out _)) { _malformedLines++; return false; }
            head = head[..open].TrimEnd((byte)' ');
        }
        int sp = head.LastIndexOf((byte)' ');
        var ids = head[(sp + 1)..];
        var comm = sp < 0 ? ReadOnlySpan<byte>.Empty : head[..sp].Trim((byte)' ');
        int pid = 0, tid;
        bool pidKnown = false;
        int slash = ids.IndexOf((byte)'/');
        if (slash >= 0)
        {
            if (!Utf8Parser.TryParse(ids[..slash], out pid, out _) || !Utf8Parser.TryParse(ids[(slash + 1)..], out tid, out _)) { _malformedLines++; return false; }
            pidKnown = true;
        }
        else if (!Utf8Parser.TryParse(ids, out tid, out int used) || used != ids.Length) { _malformedLines++; return false; }

        // Right of the time: "group:event: payload".
        var rest = line[(timeEnd + 1)..].TrimStart((byte)' ');
        int evEnd = rest.IndexOf(": "u8);
        var evName = evEnd >= 0 ? rest[..evEnd] : rest.TrimEnd((byte)':');
        var payload = evEnd >= 0 ? rest[(evEnd + 2)..] : ReadOnlySpan<byte>.Empty;
        string commText = CommOf(tid, comm);

        var gil = GilProbeNames.Classify(evName);
        if (gil is { } kind)
        {
            _sawGilEvents = true;
            e = new TraceEvent(kind, ts, pid, tid, cpu, Comm: commText, PidKnown: pidKnown);
            return true;
        }
        if (evName.StartsWith("PERF_RECORD_EXIT("u8)) return TryParseExit(evName, ts, cpu, commText, out e);
        if (evName.StartsWith("PERF_RECORD_"u8)) return false; // perf's other task records (--show-task-events): not needed
        if (!evName.StartsWith("sched:"u8)) { _unknownEvents++; return false; }
        _sawSchedEvents = true;
        var sched = evName[6..];
        if (sched.SequenceEqual("sched_switch"u8))
        {
            int arrow = payload.IndexOf(" ==> "u8);
            if (arrow < 0) { _malformedLines++; return false; }
            var prev = payload[..arrow];
            var next = payload[(arrow + 5)..];
            if (!TryField(prev, " prev_pid="u8, out int prevTid) || !TryField(next, " next_pid="u8, out int nextTid)) { _malformedLines++; return false; }
            var state = StateOf(FieldText(prev, " prev_state="u8));
            e = new TraceEvent(EventKind.SchedSwitch, ts, pid, prevTid, cpu, State: state, Comm: commText, PidKnown: pidKnown) { NextTid = nextTid };
            return true;
        }
        if (sched.SequenceEqual("sched_wakeup"u8) || sched.SequenceEqual("sched_wakeup_new"u8))
        {
            if (!TryField(payload, " pid="u8, out int woken)) { _malformedLines++; return false; }
            var k = sched.Length == 12 ? EventKind.SchedWakeup : EventKind.SchedWakeupNew;
            e = new TraceEvent(k, ts, pid, tid, cpu, Comm: commText, PidKnown: pidKnown) { WokenTid = woken };
            return true;
        }
        if (sched.SequenceEqual("sched_process_fork"u8))
        {
            if (!TryField(payload, " child_pid="u8, out int child)) { _malformedLines++; return false; }
            e = new TraceEvent(EventKind.Fork, ts, pid, tid, cpu, Comm: commText, PidKnown: pidKnown) { ChildTid = child };
            return true;
        }
        if (sched.SequenceEqual("sched_process_exit"u8))
        {
            if (!TryField(payload, " pid="u8, out int exiting)) { _malformedLines++; return false; }
            e = new TraceEvent(EventKind.Exit, ts, pid, exiting, cpu, Comm: commText, PidKnown: pidKnown && exiting == tid);
            return true;
        }
        _unknownEvents++;
        return false;
    }

    /// <summary>
    /// perf script --show-task-events: "PERF_RECORD_EXIT(pid:tid):(ppid:ptid)", the exact end of a thread's life, as the
    /// perf.data reader gives it (those perf synthesizes at time 0 are skipped by both).
    /// </summary>
    bool TryParseExit(ReadOnlySpan<byte> record, long ts, int cpu, string comm, out TraceEvent e)
    {
        e = default;
        var ids = record["PERF_RECORD_EXIT("u8.Length..];
        int colon = ids.IndexOf((byte)':'), close = ids.IndexOf((byte)')');
        if (colon < 0 || close < colon || !Utf8Parser.TryParse(ids[..colon], out int pid, out _) ||
            !Utf8Parser.TryParse(ids[(colon + 1)..close], out int tid, out _)) { _malformedLines++; return false; }
        if (ts == 0) return false;
        e = new TraceEvent(EventKind.Exit, ts, pid, tid, cpu, Comm: comm);
        return true;
    }

    static bool TryParseLost(ReadOnlySpan<byte> line, out TraceEvent e)
    {
        // perf script --show-lost-events: "... PERF_RECORD_LOST lost 123" (the count is the last number).
        e = default;
        int end = line.Length;
        while (end > 0 && !char.IsAsciiDigit((char)line[end - 1])) end--;
        int start = end;
        while (start > 0 && char.IsAsciiDigit((char)line[start - 1])) start--;
        if (start == end || !Utf8Parser.TryParse(line[start..end], out int lost, out _)) return false;
        e = new TraceEvent(EventKind.Lost, 0, 0, 0) { LostCount = lost };
        return true;
    }

    /// <summary>"12345.678901234" (any number of fraction digits) → ns.</summary>
    static bool TryParseTime(ReadOnlySpan<byte> s, out long ns)
    {
        ns = 0;
        int dot = s.IndexOf((byte)'.');
        if (dot <= 0 || !Utf8Parser.TryParse(s[..dot], out long secs, out int used) || used != dot) return false;
        var frac = s[(dot + 1)..];
        if (frac.Length is 0 or > 9) return false;
        if (!Utf8Parser.TryParse(frac, out long f, out used) || used != frac.Length) return false;
        for (int i = frac.Length; i < 9; i++) f *= 10;
        ns = secs * 1_000_000_000 + f;
        return true;
    }

    /// <summary>Integer after the last occurrence of key (comm values may contain anything, so take the last).</summary>
    static bool TryField(ReadOnlySpan<byte> s, ReadOnlySpan<byte> key, out int value)
    {
        value = 0;
        int at = s.LastIndexOf(key);
        if (at < 0) return false;
        return Utf8Parser.TryParse(s[(at + key.Length)..], out value, out _);
    }

    static ReadOnlySpan<byte> FieldText(ReadOnlySpan<byte> s, ReadOnlySpan<byte> key)
    {
        int at = s.LastIndexOf(key);
        if (at < 0) return default;
        var v = s[(at + key.Length)..];
        int end = v.IndexOf((byte)' ');
        return end < 0 ? v : v[..end];
    }

    public static ThreadRunState StateOf(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty) return ThreadRunState.Unknown;
        return s[0] switch
        {
            (byte)'R' => ThreadRunState.Runnable,
            (byte)'S' => ThreadRunState.Sleeping,
            (byte)'D' => ThreadRunState.Disk,
            _ => ThreadRunState.Other,
        };
    }

    string CommOf(int tid, ReadOnlySpan<byte> comm)
    {
        if (_comms.TryGetValue(tid, out var known) && comm.SequenceEqual(known.Bytes)) return known.Text;
        var text = Encoding.UTF8.GetString(comm);
        _comms[tid] = (comm.ToArray(), text);
        return text;
    }
}
