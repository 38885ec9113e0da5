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
    private TraceEvent[] _pending = new TraceEvent[4096];
    private TraceEvent[] _scratch = new TraceEvent[4096];
    private readonly List<int> _runs = new();
    private int _count;
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
        _pending[_count++] = e;
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

    /// <summary>Delivers every event up to limit: for a reader that knows no older event can still come (a live stream's marks).</summary>
    public void FlushUpTo(long limit, EventBuffer ready)
    {
        if (_count == 0) return;
        SortPending();
        var span = _pending.AsSpan(0, _count);
        int n = 0;
        while (n < span.Length && span[n].TimestampNs <= limit) ready.Add(span[n++]);
        if (n > 0) _lastFlushed = span[n - 1].TimestampNs;
        // keep the rest, already sorted, at the front
        span[n..].CopyTo(_pending);
        _pending.AsSpan(_count - n, n).Clear(); // drop string references of delivered events
        _count -= n;
        // keep the high-water mark (bounded by perf's round size: reallocating large arrays costs gen2 GCs),
        // but give back an exceptional one
        if (_count < _pending.Length / 16 && _pending.Length > 1 << 22)
        {
            Array.Resize(ref _pending, _pending.Length / 4);
            _scratch = new TraceEvent[_pending.Length];
        }
    }

    /// <summary>
    /// Stable natural merge sort: the pending events are a few already sorted runs (what is left of the
    /// last round, then each CPU's ring buffer in turn), so merging runs is linear in practice.
    /// On equal timestamps the earlier run wins, which keeps file order as perf does.
    /// </summary>
    private void SortPending()
    {
        _runs.Clear();
        _runs.Add(0);
        for (int i = 1; i < _count; i++)
            if (_pending[i].TimestampNs < _pending[i - 1].TimestampNs) _runs.Add(i);
        if (_runs.Count == 1) return;
        if (_scratch.Length < _pending.Length) _scratch = new TraceEvent[_pending.Length];
        _runs.Add(_count);
        var src = _pending;
        var dst = _scratch;
        while (_runs.Count > 2)
        {
            int w = 0;
            for (int r = 0; r + 1 < _runs.Count; r += 2)
            {
                int a = _runs[r], mid = _runs[r + 1], end = r + 2 < _runs.Count ? _runs[r + 2] : mid;
                Merge(src, a, mid, end, dst);
                _runs[w++] = a;
            }
            _runs[w++] = _count;
            _runs.RemoveRange(w, _runs.Count - w);
            (src, dst) = (dst, src);
        }
        if (!ReferenceEquals(src, _pending)) { _scratch = _pending; _pending = src; }
    }

    private static void Merge(TraceEvent[] src, int a, int mid, int end, TraceEvent[] dst)
    {
        int i = a, j = mid, k = a;
        while (i < mid && j < end)
            dst[k++] = src[j].TimestampNs < src[i].TimestampNs ? src[j++] : src[i++];
        while (i < mid) dst[k++] = src[i++];
        while (j < end) dst[k++] = src[j++];
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
        Array.Clear(_items, 0, Count); // drops comm string references
        Count = 0;
    }
}
