using System.Text.Json;
using GilTracer.Core.Model;

namespace GilTracer.Core.Render;

/// <summary>
/// Streams a Chrome trace (Perfetto, chrome://tracing, VizTracer --combine) while the analyzer runs: one lane
/// per thread with "GIL wait" / "GIL held" spans, a counter of threads waiting per process, and thread names
/// at the end. Timestamps are µs with ns kept as decimals.
/// </summary>
public sealed class ChromeTraceRenderer : IReportOutput, IIntervalSink
{
    // Pre-encoded names: millions of spans, each property name transcoded once.
    static readonly JsonEncodedText Ph = JsonEncodedText.Encode("ph"), Name = JsonEncodedText.Encode("name"),
        Cat = JsonEncodedText.Encode("cat"), Pid = JsonEncodedText.Encode("pid"), Tid = JsonEncodedText.Encode("tid"),
        X = JsonEncodedText.Encode("X"), C = JsonEncodedText.Encode("C"), Gil = JsonEncodedText.Encode("gil"),
        Sched = JsonEncodedText.Encode("sched"), Args = JsonEncodedText.Encode("args"), Waiting = JsonEncodedText.Encode("waiting"),
        GilWait = JsonEncodedText.Encode("GIL wait"), GilHeld = JsonEncodedText.Encode("GIL held"),
        WaitingCounter = JsonEncodedText.Encode("threads waiting for the GIL"),
        RunnableCounter = JsonEncodedText.Encode("runnable threads"), Runnable = JsonEncodedText.Encode("runnable"),
        Python = JsonEncodedText.Encode("python"), GcCat = JsonEncodedText.Encode("gc"),
        Ts = JsonEncodedText.Encode("ts"), Dur = JsonEncodedText.Encode("dur");

    readonly Stream _stream;
    readonly Utf8JsonWriter _w;
    readonly HashSet<(int Pid, int Tid)> _stateLanes = new();

    public ChromeTraceRenderer(Stream stream)
    {
        _stream = stream;
        // SkipValidation: the writer emits a fixed, known-good structure millions of times; checking it costs ~10 %
        _w = new Utf8JsonWriter(stream, new JsonWriterOptions { SkipValidation = true });
        _w.WriteStartObject();
        _w.WriteString("displayTimeUnit", "ns");
        _w.WriteStartArray("traceEvents");
    }

    public void OnGilInterval(in GilInterval iv)
    {
        if (iv.State is not (GilState.Wait or GilState.Hold)) return;
        WriteSpan(iv.State == GilState.Wait ? GilWait : GilHeld, Gil, iv.Pid, iv.Tid, iv.StartNs, iv.DurationNs);
    }

    /// <summary>One complete ("X") span; flushed in 64 KiB steps so memory stays flat over millions of spans.</summary>
    void WriteSpan(JsonEncodedText name, JsonEncodedText cat, int pid, int tid, long startNs, long durationNs)
    {
        _w.WriteStartObject();
        _w.WriteString(Ph, X);
        _w.WriteString(Name, name);
        _w.WriteString(Cat, cat);
        _w.WriteNumber(Pid, pid);
        _w.WriteNumber(Tid, tid);
        JsonNumbers.WriteMicros(_w, Ts, startNs);
        JsonNumbers.WriteMicros(_w, Dur, durationNs);
        _w.WriteEndObject();
        if (_w.BytesPending > 1 << 16) _w.Flush();
    }

    /// <summary>
    /// Sched states go on a lane of their own under each thread (GIL spans and state spans overlap without nesting,
    /// which one lane cannot show): a synthetic tid, named "NAME · states" at the end. Kernel tids stay below 2^22,
    /// so state lanes (2^29 + tid) and function lanes (2^30 + tid) never meet each other or a real thread.
    /// </summary>
    public static int StateLaneTid(int tid) => StateLaneOffset + tid;

    const int StateLaneOffset = 1 << 29;

    static readonly JsonEncodedText[] SchedNames =
        [.. new[] { "running", "runnable", "S", "S(GIL)", "D" }.Select(n => JsonEncodedText.Encode(n))];

    public void OnSchedInterval(in SchedInterval iv)
    {
        _stateLanes.Add((iv.Pid, iv.Tid));
        WriteSpan(SchedNames[(int)iv.State], Sched, iv.Pid, StateLaneTid(iv.Tid), iv.StartNs, iv.DurationNs);
    }

    public void OnRunnableChanged(int pid, long timestampNs, int runnable) => WriteCounter(RunnableCounter, Runnable, pid, timestampNs, runnable);

    public void OnWaitersChanged(int pid, long timestampNs, int waiting) => WriteCounter(WaitingCounter, Waiting, pid, timestampNs, waiting);

    void WriteCounter(JsonEncodedText name, JsonEncodedText series, int pid, long timestampNs, int value)
    {
        _w.WriteStartObject();
        _w.WriteString(Ph, C);
        _w.WriteString(Name, name);
        _w.WriteNumber(Pid, pid);
        JsonNumbers.WriteMicros(_w, Ts, timestampNs);
        _w.WriteStartObject(Args);
        _w.WriteNumber(series, value);
        _w.WriteEndObject();
        _w.WriteEndObject();
    }

    /// <summary>Offset of the lanes that carry Python function spans: a function span and a GIL span of one thread
    /// overlap without nesting, which one lane cannot show, so functions get a lane of their own beside it.</summary>
    public const int FunctionLaneOffset = 1 << 30;

    /// <summary>Python calls (and GC pauses) from the function tracer as nested X spans, one lane per thread
    /// named "NAME (python)". Function names are untrusted text: the JSON writer escapes them.</summary>
    public void OnFunctionCalls(FunctionCalls calls)
    {
        var names = new Dictionary<int, JsonEncodedText>();
        foreach (var s in calls.Calls)
        {
            if (!names.TryGetValue(s.FunctionId, out var name))
                names[s.FunctionId] = name = JsonEncodedText.Encode(calls.Function(s.FunctionId).Display);
            WriteSpan(name, s.FunctionId < 0 ? GcCat : Python, calls.Pid, FunctionLaneOffset + s.Tid, s.StartNs, s.EndNs - s.StartNs);
        }
        foreach (var lane in calls.Lanes)
        {
            WriteMeta("thread_name", calls.Pid, FunctionLaneOffset + lane.Tid, $"{lane.ThreadName} (python)");
            WriteSortIndex(calls.Pid, FunctionLaneOffset + lane.Tid, lane.Tid);
        }
    }

    /// <summary>Adds process and thread names (untrusted text: the JSON writer escapes it) and closes the file.</summary>
    public void Write(GilReport report)
    {
        foreach (var pid in report.Threads.Select(t => t.Pid).Distinct())
            WriteMeta("process_name", pid, pid, $"python (pid {pid})");
        foreach (var t in report.Threads)
        {
            string name = t.IsMain ? $"{t.Name} (main)" : t.Name;
            long sort = t.IsMain ? -1 : t.Tid;
            WriteMeta("thread_name", t.Pid, t.Tid, name);
            WriteSortIndex(t.Pid, t.Tid, 2 * sort);
            if (!_stateLanes.Contains((t.Pid, t.Tid))) continue;
            WriteMeta("thread_name", t.Pid, StateLaneTid(t.Tid), $"{name} · states");
            WriteSortIndex(t.Pid, StateLaneTid(t.Tid), 2 * sort + 1);
        }
        _w.WriteEndArray();
        _w.WriteEndObject();
        _w.Dispose();
        _stream.Dispose();
    }

    void WriteSortIndex(int pid, int tid, long index)
    {
        _w.WriteStartObject();
        _w.WriteString("ph", "M");
        _w.WriteString("name", "thread_sort_index");
        _w.WriteNumber("pid", pid);
        _w.WriteNumber("tid", tid);
        _w.WriteStartObject("args");
        _w.WriteNumber("sort_index", index);
        _w.WriteEndObject();
        _w.WriteEndObject();
    }

    void WriteMeta(string kind, int pid, int tid, string name)
    {
        _w.WriteStartObject();
        _w.WriteString("ph", "M");
        _w.WriteString("name", kind);
        _w.WriteNumber("pid", pid);
        _w.WriteNumber("tid", tid);
        _w.WriteStartObject("args");
        _w.WriteString("name", name);
        _w.WriteEndObject();
        _w.WriteEndObject();
    }
}
