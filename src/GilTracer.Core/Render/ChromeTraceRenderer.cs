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
        _w.WriteString("ph", "X");
        _w.WriteString("name", iv.State == GilState.Wait ? "GIL wait" : "GIL held");
        _w.WriteString("cat", "gil");
        _w.WriteNumber("pid", iv.Pid);
        _w.WriteNumber("tid", iv.Tid);
        JsonNumbers.WriteMicros(_w, "ts", iv.StartNs);
        JsonNumbers.WriteMicros(_w, "dur", iv.DurationNs);
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
        _w.WriteString("ph", "X");
        _w.WriteString("name", iv.State switch
        {
            SchedState.Running => "running",
            SchedState.Runnable => "runnable",
            SchedState.Sleeping => "S",
            SchedState.SleepingGil => "S(GIL)",
            _ => "D",
        });
        _w.WriteString("cat", "sched");
        _w.WriteNumber("pid", iv.Pid);
        _w.WriteNumber("tid", StateLaneTid(iv.Tid));
        JsonNumbers.WriteMicros(_w, "ts", iv.StartNs);
        JsonNumbers.WriteMicros(_w, "dur", iv.DurationNs);
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
        _w.WriteString("ph", "C");
        _w.WriteString("name", "threads waiting for the GIL");
        _w.WriteNumber("pid", pid);
        JsonNumbers.WriteMicros(_w, "ts", timestampNs);
        _w.WriteStartObject("args");
        _w.WriteNumber("waiting", waiting);
        _w.WriteEndObject();
        _w.WriteEndObject();
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
