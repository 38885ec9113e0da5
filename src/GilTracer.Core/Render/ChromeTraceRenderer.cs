using System.Text.Json;
using GilTracer.Core.Model;

namespace GilTracer.Core.Render;

/// <summary>
/// Streams a Chrome trace (Perfetto, chrome://tracing, VizTracer --combine) while the analyzer runs: one lane
/// per thread with "GIL wait" / "GIL held" spans, a counter of threads waiting per process, and thread names
/// at the end. Timestamps are µs with ns kept as decimals.
/// </summary>
public sealed class ChromeTraceRenderer : IIntervalSink, IDisposable
{
    // Pre-encoded names: millions of spans, each property name transcoded once.
    static readonly JsonEncodedText Ph = JsonEncodedText.Encode("ph"), Name = JsonEncodedText.Encode("name"),
        Cat = JsonEncodedText.Encode("cat"), Pid = JsonEncodedText.Encode("pid"), Tid = JsonEncodedText.Encode("tid"),
        X = JsonEncodedText.Encode("X"), C = JsonEncodedText.Encode("C"), Gil = JsonEncodedText.Encode("gil"),
        Sched = JsonEncodedText.Encode("sched"), Args = JsonEncodedText.Encode("args"), Waiting = JsonEncodedText.Encode("waiting"),
        GilWait = JsonEncodedText.Encode("GIL wait"), GilHeld = JsonEncodedText.Encode("GIL held"),
        WaitingCounter = JsonEncodedText.Encode("threads waiting for the GIL"),
        Ts = JsonEncodedText.Encode("ts"), Dur = JsonEncodedText.Encode("dur");

    readonly Stream _stream;
    readonly Utf8JsonWriter _w;
    readonly HashSet<(int Pid, int Tid)> _stateLanes = new();
    bool _finished;

    public ChromeTraceRenderer(string path) : this(File.Create(path)) { }

    public ChromeTraceRenderer(Stream stream)
    {
        _stream = stream;
        _w = new Utf8JsonWriter(stream);
        _w.WriteStartObject();
        _w.WriteString("displayTimeUnit", "ns");
        _w.WriteStartArray("traceEvents");
    }

    public void OnGilInterval(in GilInterval iv)
    {
        if (iv.State is not (GilState.Wait or GilState.Hold)) return;
        _w.WriteStartObject();
        _w.WriteString(Ph, X);
        _w.WriteString(Name, iv.State == GilState.Wait ? GilWait : GilHeld);
        _w.WriteString(Cat, Gil);
        _w.WriteNumber(Pid, iv.Pid);
        _w.WriteNumber(Tid, iv.Tid);
        JsonNumbers.WriteMicros(_w, Ts, iv.StartNs);
        JsonNumbers.WriteMicros(_w, Dur, iv.DurationNs);
        _w.WriteEndObject();
        if (_w.BytesPending > 1 << 16) _w.Flush();
    }

    /// <summary>
    /// Sched states go on a lane of their own under each thread (GIL spans and state spans overlap without nesting,
    /// which one lane cannot show): a synthetic tid, named "NAME · states" at the end.
    /// </summary>
    public static int StateLaneTid(int tid) => tid | 0x4000_0000;

    public void OnSchedInterval(in SchedInterval iv)
    {
        _stateLanes.Add((iv.Pid, iv.Tid));
        _w.WriteStartObject();
        _w.WriteString(Ph, X);
        _w.WriteString(Name, iv.State switch
        {
            SchedState.Running => "running",
            SchedState.Runnable => "runnable",
            SchedState.Sleeping => "S",
            SchedState.SleepingGil => "S(GIL)",
            _ => "D",
        });
        _w.WriteString(Cat, Sched);
        _w.WriteNumber(Pid, iv.Pid);
        _w.WriteNumber(Tid, StateLaneTid(iv.Tid));
        JsonNumbers.WriteMicros(_w, Ts, iv.StartNs);
        JsonNumbers.WriteMicros(_w, Dur, iv.DurationNs);
        _w.WriteEndObject();
        if (_w.BytesPending > 1 << 16) _w.Flush();
    }

    public void OnRunnableChanged(int pid, long timestampNs, int runnable)
    {
        _w.WriteStartObject();
        _w.WriteString("ph", "C");
        _w.WriteString("name", "runnable threads");
        _w.WriteNumber("pid", pid);
        JsonNumbers.WriteMicros(_w, "ts", timestampNs);
        _w.WriteStartObject("args");
        _w.WriteNumber("runnable", runnable);
        _w.WriteEndObject();
        _w.WriteEndObject();
    }

    public void OnWaitersChanged(int pid, long timestampNs, int waiting)
    {
        _w.WriteStartObject();
        _w.WriteString(Ph, C);
        _w.WriteString(Name, WaitingCounter);
        _w.WriteNumber(Pid, pid);
        JsonNumbers.WriteMicros(_w, Ts, timestampNs);
        _w.WriteStartObject(Args);
        _w.WriteNumber(Waiting, waiting);
        _w.WriteEndObject();
        _w.WriteEndObject();
    }

    /// <summary>Offset of the lanes that carry Python function spans: a function span and a GIL span of one thread
    /// overlap without nesting, which one lane cannot show, so functions get a lane of their own beside it.</summary>
    public const int FunctionLaneOffset = 1 << 30;

    /// <summary>Python calls (and GC pauses) from the function tracer as nested X spans, one lane per thread
    /// named "NAME (python)". Function names are untrusted text: the JSON writer escapes them.</summary>
    public void WriteFunctionSpans(Analyze.FunctionTimeline timeline, int pid, Func<int, string> threadName, long minDurationNs = 0)
    {
        var names = new Dictionary<int, string>();
        foreach (var s in timeline.Spans)
        {
            if (s.EndNs - s.StartNs < minDurationNs) continue;
            if (!names.TryGetValue(s.FunctionId, out var name)) names[s.FunctionId] = name = timeline.Trace.Function(s.FunctionId).Display;
            _w.WriteStartObject();
            _w.WriteString("ph", "X");
            _w.WriteString("name", name);
            _w.WriteString("cat", s.FunctionId < 0 ? "gc" : "python");
            _w.WriteNumber("pid", pid);
            _w.WriteNumber("tid", FunctionLaneOffset + s.Tid);
            JsonNumbers.WriteMicros(_w, "ts", s.StartNs);
            JsonNumbers.WriteMicros(_w, "dur", s.EndNs - s.StartNs);
            _w.WriteEndObject();
            if (_w.BytesPending > 1 << 16) _w.Flush();
        }
        foreach (var tid in timeline.Tids)
        {
            WriteMeta("thread_name", pid, FunctionLaneOffset + tid, $"{threadName(tid)} (python)");
            _w.WriteStartObject();
            _w.WriteString("ph", "M");
            _w.WriteString("name", "thread_sort_index");
            _w.WriteNumber("pid", pid);
            _w.WriteNumber("tid", FunctionLaneOffset + tid);
            _w.WriteStartObject("args");
            _w.WriteNumber("sort_index", tid);
            _w.WriteEndObject();
            _w.WriteEndObject();
        }
    }

    /// <summary>Adds process and thread names (untrusted text: the JSON writer escapes it) and closes the file.</summary>
    public void Finish(GilReport report)
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
        Close();
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

    void Close()
    {
        if (_finished) return;
        _finished = true;
        _w.WriteEndArray();
        _w.WriteEndObject();
        _w.Flush();
        _stream.Flush();
    }

    public void Dispose()
    {
        Close();
        _w.Dispose();
        _stream.Dispose();
    }
}
