using GilTracer.Core.Model;

namespace GilTracer.Core.Analyze;

/// <summary>
/// Call stacks over time, per thread, from the tracer's enter/exit records: a sequence of segments
/// (from this ns on, the thread runs stack S). Stacks are interned in one table (parent, frame), so a segment is
/// two numbers and a stack is walked leaf to root. Exits with no matching enter (frames entered before tracing
/// started) are ignored; an exit that skips frames (an enter lost at a call site, see the tracer) pops them too.
/// </summary>
public sealed class FunctionTimeline
{
    public const int Root = 0;
    readonly List<int> _parent = [-1], _frame = [0], _depth = [0];
    // the child a node got last, by frame: recursion and loops ask for the same child again and again
    readonly List<int> _lastChildFrame = [int.MinValue], _lastChild = [0];
    readonly Dictionary<long, int> _intern = new();
    readonly Dictionary<int, (long[] Starts, int[] Stacks)> _threads = new();

    public FunctionTrace Trace { get; }
    /// <summary>Every finished call, per thread in the tracer's order (for the timelines' nested spans).</summary>
    public List<FunctionCall> Spans { get; } = new();
    public IEnumerable<int> Tids => _threads.Keys;

    FunctionTimeline(FunctionTrace trace) => Trace = trace;

    public static FunctionTimeline Build(FunctionTrace trace, bool spans = true)
    {
        var t = new FunctionTimeline(trace);
        // Records of one thread are in order in the file; threads interleave. Bucket by tid (counting pass, then
        // fill), and sort a bucket by time only if it is not in order already.
        var counts = new Dictionary<int, int>();
        foreach (var r in trace.Records) counts[r.Tid] = counts.GetValueOrDefault(r.Tid) + 1;
        var buckets = counts.ToDictionary(c => c.Key, c => (Recs: new FunctionRecord[c.Value], Fill: new int[1]));
        foreach (var r in trace.Records)
        {
            var b = buckets[r.Tid];
            b.Recs[b.Fill[0]++] = r;
        }
        foreach (var (tid, b) in buckets)
        {
            var recs = b.Recs;
            if (!IsSorted(recs)) recs = recs.OrderBy(r => r.TimestampNs).ToArray();
            t.BuildThread(tid, recs, spans);
        }
        return t;
    }

    static bool IsSorted(FunctionRecord[] r)
    {
        for (int i = 1; i < r.Length; i++) if (r[i].TimestampNs < r[i - 1].TimestampNs) return false;
        return true;
    }

    void BuildThread(int tid, FunctionRecord[] recs, bool spans)
    {
        var starts = new List<long>(recs.Length + 1);
        var stacks = new List<int>(recs.Length + 1);
        var open = new List<(int Node, long Start)>(); // the current stack, root first
        int node = Root;
        foreach (var r in recs)
        {
            switch (r.Kind)
            {
                case FunctionRecordKind.Enter:
                case FunctionRecordKind.GcStart:
                    int frame = r.Kind == FunctionRecordKind.Enter ? r.Id : FunctionInfo.GcId(r.Id & 3);
                    node = Child(node, frame);
                    open.Add((node, r.TimestampNs));
                    break;
                default:
                    bool gc = r.Kind == FunctionRecordKind.GcStop;
                    int want = gc ? FunctionInfo.GcId(r.Id & 3) : r.Id;
                    int at = open.Count - 1;
                    while (at >= 0 && _frame[open[at].Node] != want) at--;
                    if (at < 0) continue; // entered before tracing started
                    for (int i = open.Count - 1; i >= at; i--)
                        if (spans) Spans.Add(new FunctionCall(tid, open[i].Start, r.TimestampNs, _frame[open[i].Node], i));
                    open.RemoveRange(at, open.Count - at);
                    node = open.Count == 0 ? Root : open[^1].Node;
                    break;
            }
            if (starts.Count > 0 && starts[^1] == r.TimestampNs) stacks[^1] = node; // same instant: last state wins
            else { starts.Add(r.TimestampNs); stacks.Add(node); }
        }
        if (spans && recs.Length > 0)
            for (int i = open.Count - 1; i >= 0; i--) // still running at the end: close at the thread's last record
                Spans.Add(new FunctionCall(tid, open[i].Start, recs[^1].TimestampNs, _frame[open[i].Node], i));
        _threads[tid] = (starts.ToArray(), stacks.ToArray());
    }

    int Child(int parent, int frame)
    {
        if (_lastChildFrame[parent] == frame) return _lastChild[parent];
        long key = (long)parent << 32 | (uint)frame;
        if (!_intern.TryGetValue(key, out int id))
        {
            id = _parent.Count;
            _parent.Add(parent);
            _frame.Add(frame);
            _depth.Add(_depth[parent] + 1);
            _lastChildFrame.Add(int.MinValue);
            _lastChild.Add(0);
            _intern[key] = id;
        }
        _lastChildFrame[parent] = frame;
        _lastChild[parent] = id;
        return id;
    }

    public int Parent(int stack) => _parent[stack];
    public int Frame(int stack) => _frame[stack];

    /// <summary>Frames of a stack, root first.</summary>
    public int[] Frames(int stack)
    {
        var f = new int[_depth[stack]];
        for (int s = stack, i = f.Length - 1; s != Root; s = _parent[s], i--) f[i] = _frame[s];
        return f;
    }

    /// <summary>Calls visit(stack, ns) for each part of [startNs, endNs) on thread tid. Before the thread's first
    /// record the stack is Root (unknown); after its last record, the last stack goes on.</summary>
    public void Visit(int tid, long startNs, long endNs, Action<int, long> visit)
    {
        if (endNs <= startNs) return;
        if (!_threads.TryGetValue(tid, out var t) || t.Starts.Length == 0) { visit(Root, endNs - startNs); return; }
        var starts = t.Starts;
        int i = Array.BinarySearch(starts, startNs);
        if (i < 0) i = ~i - 1; // the segment that began before startNs
        long from = startNs;
        if (i < 0)
        {
            long until = Math.Min(endNs, starts[0]);
            visit(Root, until - from);
            from = until;
            i = 0;
        }
        else
        {
            // several segments can start at the same ns; the last one holds from then on
            while (i + 1 < starts.Length && starts[i + 1] == starts[i]) i++;
        }
        for (; from < endNs && i < starts.Length; i++)
        {
            long until = i + 1 < starts.Length ? Math.Min(endNs, starts[i + 1]) : endNs;
            if (until > from) visit(t.Stacks[i], until - from);
            from = Math.Max(from, until);
        }
    }
}
