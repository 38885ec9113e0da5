using GilTracer.Core.Model;

namespace GilTracer.Core.Decode;

/// <summary>
/// Puts perf.data events in timestamp order the way perf's ordered_events does, with memory bounded by
/// two flush rounds: perf writes each CPU's ring buffer in turn, so events are only sorted within a
/// round; at each FINISHED_ROUND everything up to the largest timestamp seen before the previous round
/// ended is final. Equal timestamps keep file order (perf inserts after equal ones), so the stream is
/// identical to `perf script`'s.
/// </summary>
internal sealed class PerfEventOrderer
{
    private struct Entry
    {
        public long Ts;
        public long Seq;
        public TraceEvent Event;
    }

    private readonly struct EntryComparer : IComparer<Entry>
    {
        public int Compare(Entry x, Entry y) => x.Ts != y.Ts ? x.Ts.CompareTo(y.Ts) : x.Seq.CompareTo(y.Seq);
    }

    private Entry[] _pending = new Entry[4096];
    private int _count;
    private long _seq;
    private long _maxTs = long.MinValue;
    private long _nextFlush;
    private long _lastFlushed = long.MinValue;

    /// <summary>Events that arrived older than one already delivered (perf prints "out of order events").</summary>
    public long OutOfOrder { get; private set; }
    public int Pending => _count;

    public void Add(in TraceEvent e)
    {
        long ts = e.TimestampNs;
        if (ts < _lastFlushed) OutOfOrder++;
        if (_count == _pending.Length) Array.Resize(ref _pending, _pending.Length * 2);
        ref var slot = ref _pending[_count++];
        slot.Ts = ts;
        slot.Seq = _seq++;
        slot.Event = e;
        if (_count == 1 || ts > _maxTs) _maxTs = ts;
    }

    /// <summary>FINISHED_ROUND: deliver what can no longer be preceded by a later event.</summary>
    public void FlushRound(EventBuffer ready)
    {
        FlushUpTo(_nextFlush, ready);
        _nextFlush = _maxTs;
    }

    /// <summary>End of file: deliver everything.</summary>
    public void FlushAll(EventBuffer ready) => FlushUpTo(long.MaxValue, ready);

    private void FlushUpTo(long limit, EventBuffer ready)
    {
        if (_count == 0) return;
        var span = _pending.AsSpan(0, _count);
        if (!IsSorted(span)) span.Sort(new EntryComparer());
        int n = 0;
        while (n < span.Length && span[n].Ts <= limit) ready.Add(span[n++].Event);
        if (n > 0) _lastFlushed = span[n - 1].Ts;
        // keep the rest, already sorted, at the front
        span[n..].CopyTo(_pending);
        _pending.AsSpan(_count - n, n).Clear(); // drop string references of delivered events
        _count -= n;
        // a long recording must not keep a buffer sized for its largest round
        if (_count < _pending.Length / 8 && _pending.Length > 1 << 16) Array.Resize(ref _pending, Math.Max(4096, _pending.Length / 4));
    }

    private static bool IsSorted(Span<Entry> s)
    {
        for (int i = 1; i < s.Length; i++) if (s[i].Ts < s[i - 1].Ts) return false;
        return true;
    }
}

/// <summary>A reusable growable array of decoded events handed from the parser to the enumerator.</summary>
internal sealed class EventBuffer
{
    private TraceEvent[] _items = new TraceEvent[4096];
    public int Count { get; private set; }
    public void Add(in TraceEvent e)
    {
        if (Count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
        _items[Count++] = e;
    }
    public TraceEvent this[int i] => _items[i];
    public void Clear()
    {
        if (_items.Length > 1 << 16) _items = new TraceEvent[4096];
        else Array.Clear(_items, 0, Count);
        Count = 0;
    }
}
