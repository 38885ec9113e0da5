using System.Text.Encodings.Web;
using System.Text.Json;
using GilTracer.Core.Model;

namespace GilTracer.Core.Render.Html;

/// <summary>
/// Writes the report's data block. Utf8JsonWriter with the default JavaScriptEncoder escapes &lt; &gt; &amp; ' "
/// and non-ASCII as \uXXXX, so nothing inside can close the script element. Spans are packed per lane
/// (see <see cref="WriteTrack"/>); names and numbers stay plain JSON.
/// </summary>
internal sealed class ReportDataWriter
{
    readonly GilReport _report;
    readonly SpanCollector _spans;
    readonly IReadOnlyList<FlameGraphTree> _flames;
    readonly FunctionSpanStore? _functions;
    readonly string? _title;

    public ReportDataWriter(GilReport report, SpanCollector spans, IReadOnlyList<FlameGraphTree> flames, FunctionSpanStore? functions, string? title)
    {
        _report = report; _spans = spans; _flames = flames; _functions = functions; _title = title;
    }

    public void Write(Stream output)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.Default });
        var (origin, end) = TimeRange();
        w.WriteStartObject();
        w.WriteNumber("version", 1);
        w.WriteString("title", _title ?? "GilTracer report");
        w.WriteStartArray("summary");
        foreach (var line in ReportNarrator.Describe(_report)) w.WriteStringValue(line);
        w.WriteEndArray();
        w.WriteNumber("originNs", origin);
        w.WriteNumber("durationNs", Math.Max(1, end - origin));
        w.WriteStartObject("spans");
        w.WriteNumber("received", _spans.ReceivedSpans);
        w.WriteNumber("stored", _spans.StoredSpans);
        w.WriteNumber("max", _spans.MaxStoredSpans);
        w.WriteNumber("mergedBelowNs", _spans.MergeThresholdNs);
        w.WriteEndObject();
        w.WriteBoolean("hasSched", _spans.HasSched || _report.Threads.Any(t => t.States is not null));

        // the report's numbers exactly as summary.json has them, so the page and the file cannot disagree
        w.WritePropertyName("report");
        SummaryJson.Of(_report).Write(w);
        WriteLanes(w, origin);
        if (_functions is { Any: true }) _functions.WriteJson(w, origin); else w.WriteNull("functions");
        w.WriteStartArray("flames");
        foreach (var flame in _flames) flame.WriteJson(w);
        w.WriteEndArray();
        w.WriteEndObject();
        w.Flush();
    }

    (long Origin, long End) TimeRange()
    {
        long min = long.MaxValue, max = long.MinValue;
        foreach (var lane in _spans.GilLanes.Concat(_spans.SchedLanes))
            if (lane.Count > 0)
            {
                min = Math.Min(min, lane.Start[0]);
                for (int i = 0; i < lane.Count; i++) max = Math.Max(max, lane.End[i]);
            }
        if (_report.EndNs > _report.StartNs)
            return (_report.StartNs, Math.Max(_report.EndNs, max));
        foreach (var t in _report.Threads)
        {
            min = Math.Min(min, t.StartNs);
            max = Math.Max(max, t.EndNs);
        }
        return min == long.MaxValue ? (0, 1) : (min, max);
    }

    /// <summary>One lane per thread: the report's threads (grouped by process, main thread first, then by start), then any thread only the spans know.</summary>
    void WriteLanes(Utf8JsonWriter w, long origin)
    {
        var keys = new List<(int Pid, int Tid, bool IsMain, long Start, string? Name)>();
        var seen = new HashSet<(int, int)>();
        foreach (var t in _report.Threads)
            if (seen.Add((t.Pid, t.Tid))) keys.Add((t.Pid, t.Tid, t.IsMain, t.StartNs, t.Name));
        foreach (var lane in _spans.GilLanes.Concat(_spans.SchedLanes))
            if (seen.Add((lane.Pid, lane.Tid)))
                keys.Add((lane.Pid, lane.Tid, false, lane.Count > 0 ? lane.Start[0] : 0, null));
        keys.Sort((a, b) => a.Pid != b.Pid ? a.Pid.CompareTo(b.Pid)
            : a.IsMain != b.IsMain ? b.IsMain.CompareTo(a.IsMain)
            : a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Tid.CompareTo(b.Tid));

        w.WriteStartArray("lanes");
        foreach (var k in keys)
        {
            w.WriteStartObject();
            w.WriteNumber("pid", k.Pid);
            w.WriteNumber("tid", k.Tid);
            w.WriteString("name", k.Name ?? $"tid {k.Tid}");
            w.WriteBoolean("isMain", k.IsMain);
            WriteTrack(w, "gil", _spans.Gil(k.Pid, k.Tid), origin);
            WriteTrack(w, "sched", _spans.Sched(k.Pid, k.Tid), origin);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>
    /// A track as {"n": count, "z": packed spans, "m": merged spans' per-state ns}. Per span two numbers:
    /// zigzag(gap since the previous span's end)*8+state (7 = merged), then the duration in ns. Each number is
    /// written as 5-bit digits, low first: continuation digits from <see cref="More"/>, the last from
    /// <see cref="Last"/>. The characters need no JSON or HTML escaping, a million spans take ~6 MB (decimal JSON
    /// took 9), and the page decodes them synchronously with charCodeAt: faster than the browser's async
    /// inflater on a busy machine, and the parser's time is set by the bytes.
    /// </summary>
    static void WriteTrack(Utf8JsonWriter w, string name, LaneSpans? lane, long origin)
    {
        if (lane is null || lane.Count == 0) { w.WriteNull(name); return; }
        w.WriteStartObject(name);
        w.WriteNumber("n", lane.Count);
        var buf = new byte[Math.Max(64, lane.Count * 8)];
        int at = 0;
        long prevEnd = origin;
        for (int i = 0; i < lane.Count; i++)
        {
            if (at > buf.Length - 32) Array.Resize(ref buf, buf.Length * 2);
            long gap = lane.Start[i] - prevEnd;
            prevEnd = lane.End[i];
            ulong state = lane.State[i] == LaneSpans.Mixed ? 7UL : lane.State[i];
            at = WriteDigits(buf, at, ((ulong)((gap << 1) ^ (gap >> 63)) << 3) | state);
            at = WriteDigits(buf, at, (ulong)(lane.End[i] - lane.Start[i]));
        }
        w.WriteString("z", buf.AsSpan(0, at));
        w.WriteStartArray("m");
        foreach (var ns in lane.MixNs) w.WriteNumberValue(ns);
        w.WriteEndArray();
        w.WriteEndObject();
        FlushSometimes(w);
    }

    internal static ReadOnlySpan<byte> Last => "0123456789ABCDEFGHIJKLMNOPQRSTUV"u8;
    internal static ReadOnlySpan<byte> More => "WXYZabcdefghijklmnopqrstuvwxyz-_"u8;

    static int WriteDigits(byte[] buf, int at, ulong v)
    {
        while (v >= 32)
        {
            buf[at++] = More[(int)(v & 31)];
            v >>= 5;
        }
        buf[at++] = Last[(int)v];
        return at;
    }

    /// <summary>Utf8JsonWriter buffers until flushed: keep a million-span report from piling up in memory.</summary>
    static void FlushSometimes(Utf8JsonWriter w)
    {
        if (w.BytesPending > 1 << 16) w.Flush();
    }
}
