using System.Text.Json;

namespace GilTracer.Core.Render.Html;

/// <summary>
/// Python function calls per thread (from --functions), kept so the timeline's tooltip can say which
/// function ran at the hovered moment. Within a budget: past it, the shortest calls are dropped (a call
/// shorter than a pixel at any zoom the page allows is never the one a user hovers).
/// </summary>
internal sealed class FunctionSpanStore
{
    sealed class Lane
    {
        public long[] Start = new long[256], End = new long[256];
        public int[] Name = new int[256];
        public byte[] Depth = new byte[256];
        public int Count;
    }

    readonly Dictionary<(int Pid, int Tid), Lane> _lanes = new();
    readonly Dictionary<string, int> _names = new(StringComparer.Ordinal);
    readonly List<string> _nameList = new();
    readonly int _max;
    long _stored;

    public FunctionSpanStore(int maxSpans) => _max = Math.Max(1000, maxSpans);

    public long Received { get; private set; }
    public long DroppedBelowNs { get; private set; }
    public bool Any => Received > 0;

    public void Add(int pid, int tid, long start, long end, int depth, string function)
    {
        Received++;
        if (end - start < DroppedBelowNs) return;
        if (!_lanes.TryGetValue((pid, tid), out var lane)) _lanes[(pid, tid)] = lane = new Lane();
        if (!_names.TryGetValue(function, out int name))
        {
            _names[function] = name = _nameList.Count;
            _nameList.Add(function);
        }
        if (lane.Count == lane.Start.Length)
        {
            int n = lane.Count * 2;
            Array.Resize(ref lane.Start, n); Array.Resize(ref lane.End, n);
            Array.Resize(ref lane.Name, n); Array.Resize(ref lane.Depth, n);
        }
        lane.Start[lane.Count] = start; lane.End[lane.Count] = end;
        lane.Name[lane.Count] = name; lane.Depth[lane.Count] = (byte)Math.Clamp(depth, 0, 255);
        lane.Count++;
        if (++_stored > _max) DropShortest();
    }

    void DropShortest()
    {
        long threshold = Math.Max(1_000, DroppedBelowNs * 2);
        while (true)
        {
            _stored = 0;
            foreach (var lane in _lanes.Values)
            {
                int w = 0;
                for (int i = 0; i < lane.Count; i++)
                {
                    if (lane.End[i] - lane.Start[i] < threshold) continue;
                    lane.Start[w] = lane.Start[i]; lane.End[w] = lane.End[i];
                    lane.Name[w] = lane.Name[i]; lane.Depth[w] = lane.Depth[i];
                    w++;
                }
                lane.Count = w;
                _stored += w;
            }
            DroppedBelowNs = threshold;
            if (_stored <= _max / 2) return;
            threshold *= 2;
        }
    }

    /// <summary>"functions": {"names": [...], "droppedBelowNs", "lanes": {"pid:tid": {"n","z"}}}; per call
    /// start delta, duration, depth and name index as the same 5-bit digits as the GIL spans.</summary>
    public void WriteJson(Utf8JsonWriter w, long origin)
    {
        w.WriteStartObject("functions");
        w.WriteNumber("received", Received);
        w.WriteNumber("droppedBelowNs", DroppedBelowNs);
        w.WriteStartArray("names");
        foreach (var n in _nameList) w.WriteStringValue(n);
        w.WriteEndArray();
        w.WriteStartObject("lanes");
        foreach (var ((pid, tid), lane) in _lanes)
        {
            var order = Enumerable.Range(0, lane.Count).ToArray();
            var starts = lane.Start;
            Array.Sort(order, (a, b) => starts[a].CompareTo(starts[b]));
            var digits = new SpanDigits(lane.Count * 12);
            long prev = origin;
            foreach (int i in order)
            {
                digits.AddSigned(lane.Start[i] - prev);
                prev = lane.Start[i];
                digits.Add((ulong)(lane.End[i] - lane.Start[i]));
                digits.Add(lane.Depth[i]);
                digits.Add((ulong)lane.Name[i]);
            }
            w.WriteStartObject($"{pid}:{tid}");
            w.WriteNumber("n", lane.Count);
            w.WriteString("z", digits.Bytes);
            w.WriteEndObject();
            if (w.BytesPending > 1 << 16) w.Flush();
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }
}

/// <summary>Numbers as 5-bit digits, low first: 'W'..'_' continue a number, '0'..'V' end it (see ReportDataWriter).</summary>
internal sealed class SpanDigits(int capacity)
{
    byte[] _buf = new byte[Math.Max(64, capacity)];
    int _at;

    public ReadOnlySpan<byte> Bytes => _buf.AsSpan(0, _at);

    public void AddSigned(long v) => Add((ulong)((v << 1) ^ (v >> 63)));

    public void Add(ulong v)
    {
        if (_at > _buf.Length - 16) Array.Resize(ref _buf, _buf.Length * 2);
        while (v >= 32)
        {
            _buf[_at++] = ReportDataWriter.More[(int)(v & 31)];
            v >>= 5;
        }
        _buf[_at++] = ReportDataWriter.Last[(int)v];
    }
}
