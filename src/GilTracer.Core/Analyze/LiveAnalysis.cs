using GilTracer.Core.Model;

namespace GilTracer.Core.Analyze;

/// <summary>
/// The analysis of a recording that goes on (top): events stream into a <see cref="RecordingAnalysis"/>; the caller moves
/// the watermark forward (every event up to it processed, none after), stopping at each boundary
/// (<see cref="NextBoundaryNs"/>): at whole seconds each thread's counters go into its <see cref="SecondBuckets"/>, at the
/// end of each interval a <see cref="LiveFrame"/> is made. Both come from a snapshot of the running totals at the boundary
/// (<see cref="RecordingAnalysis.Snapshot"/>, the code Finish runs too), as differences of counters, so nothing here keeps
/// events: per thread a second-bucket ring and a histogram of the interval's waits. Threads that exited 15 minutes ago
/// are forgotten, here and in the analyzer.
/// </summary>
public sealed class LiveAnalysis : IIntervalSink
{
    public const long SecondNs = 1_000_000_000;
    public const long RetireAfterNs = 15 * 60 * SecondNs;

    sealed class ThreadState
    {
        public bool Seen;
        /// <summary>What the thread's totals held before the second it was first seen in: not counted in any window.</summary>
        public LifeShares Offset;
        public LifeShares AtSecond, AtFrame;
        public readonly SecondBuckets Seconds = new();
        public readonly LatencyHistogram Waits = new();
    }

    sealed class ProcessState
    {
        public int Waiting;
        public long HeldAtFrame, AcquisitionsAtFrame;
        public bool Seen;
    }

    readonly RecordingAnalysis _analysis;
    readonly long _startNs, _intervalNs;
    readonly Dictionary<int, ThreadState> _threads = new();
    readonly Dictionary<int, ProcessState> _processes = new();
    long _nextSecond, _nextFrame, _lastBoundary, _eventsAtFrame, _nextRetire;

    public LiveAnalysis(AnalysisSetup setup, long startNs, long intervalNs)
    {
        if (intervalNs <= 0) throw new ArgumentOutOfRangeException(nameof(intervalNs));
        _analysis = new RecordingAnalysis(setup);
        _analysis.AddSink(this);
        _startNs = startNs;
        _intervalNs = intervalNs;
        WatermarkNs = _lastBoundary = startNs;
        _nextSecond = startNs + SecondNs;
        _nextFrame = startNs + intervalNs;
        _nextRetire = startNs + RetireAfterNs;
    }

    /// <summary>Every event up to here has been processed.</summary>
    public long WatermarkNs { get; private set; }

    /// <summary>The next time the watermark must stop at (a whole second of the session, or the end of an interval).</summary>
    public long NextBoundaryNs => Math.Min(_nextSecond, _nextFrame);

    public void Process(in TraceEvent e)
    {
        if (_analysis.Admit(e)) _analysis.Process(e);
    }

    public void SetPythonThreadName(int tid, string name) => _analysis.SetPythonThreadName(tid, name);

    /// <summary>Another sink of the analysis (the metrics' wait histogram), called on the thread that processes the events.</summary>
    public void AddSink(IIntervalSink sink) => _analysis.AddSink(sink);

    /// <summary>
    /// Moves the watermark to <paramref name="ns"/> (not past <see cref="NextBoundaryNs"/>); at the end of an interval,
    /// returns its frame.
    /// </summary>
    public LiveFrame? Advance(long ns)
    {
        if (ns < WatermarkNs) return null;
        if (ns > NextBoundaryNs) throw new ArgumentOutOfRangeException(nameof(ns), "the watermark must stop at each boundary");
        WatermarkNs = ns;
        if (ns < NextBoundaryNs) return null;

        var report = _analysis.Snapshot(ns, live: true);
        bool second = ns == _nextSecond, frame = ns == _nextFrame;
        var present = new HashSet<int>();
        foreach (var t in report.Threads)
        {
            present.Add(t.Tid);
            var s = State(t.Tid);
            var counted = Counted(t, s);
            if (second)
            {
                s.Seconds.Push(counted - s.AtSecond);
                s.AtSecond = counted;
            }
        }
        foreach (var tid in _threads.Keys.Where(k => !present.Contains(k)).ToList()) _threads.Remove(tid); // retired
        if (second) _nextSecond += SecondNs;
        LiveFrame? made = null;
        if (frame)
        {
            made = Frame(report, ns);
            _nextFrame += _intervalNs;
        }
        _lastBoundary = ns;
        if (ns >= _nextRetire)
        {
            _analysis.Retire(ns - RetireAfterNs);
            _nextRetire = ns + 10 * SecondNs;
        }
        return made;
    }

    /// <summary>The running totals at the watermark (live metrics): threads not exited live up to it.</summary>
    /// <summary>perf was asked to stop at this time: the events its threads still record, one by one, are not analyzed.</summary>
    public void StoppedAt(long ns) => _analysis.StoppedAt(ns);

    public GilReport Snapshot() => _analysis.Snapshot(WatermarkNs, live: true);

    /// <summary>The report of the whole session once the recording ended (attach's rules at its window's edges).</summary>
    public GilReport Finish(RecordingWindow window, ReportContext context)
    {
        _analysis.SetRecordingWindow(window);
        return _analysis.Finish(context);
    }

    ThreadState State(int tid)
    {
        if (!_threads.TryGetValue(tid, out var s)) _threads[tid] = s = new ThreadState();
        return s;
    }

    /// <summary>
    /// The thread's totals as the windows count them. A thread is first seen at its first event, possibly long after the
    /// recording started (it slept without the GIL since): its life before the previous boundary is left out, and what it
    /// held or waited then too, so that its first second holds at most a second.
    /// </summary>
    LifeShares Counted(ThreadSummary t, ThreadState s)
    {
        var total = new LifeShares(t.TotalNs, t.WaitNs, t.HoldNs, t.Acquisitions);
        if (!s.Seen)
        {
            s.Seen = true;
            long lifeBefore = Math.Clamp(_lastBoundary - t.StartNs, 0, t.TotalNs);
            long life = t.TotalNs - lifeBefore;
            long wait = Math.Min(t.WaitNs, life), hold = Math.Min(t.HoldNs, life - wait);
            s.Offset = new LifeShares(lifeBefore, t.WaitNs - wait, t.HoldNs - hold, 0);
        }
        return total - s.Offset;
    }

    LiveFrame Frame(GilReport report, long at)
    {
        long interval = at - (_nextFrame - _intervalNs);
        double seconds = interval / 1e9;
        var rows = new List<LiveThreadRow>();
        foreach (var t in report.Threads)
        {
            var s = _threads[t.Tid];
            var counted = Counted(t, s);
            var inInterval = counted - s.AtFrame;
            s.AtFrame = counted;
            long p99 = s.Waits.Percentile(0.99);
            s.Waits.Clear();
            if (inInterval.LifeNs <= 0) continue; // exited before the interval
            rows.Add(new LiveThreadRow(t.Pid, t.Tid, t.Name, t.IsMain, inInterval,
                s.Seconds.Sum(0), s.Seconds.Sum(1), s.Seconds.Sum(2), inInterval.Acquisitions / seconds, p99));
        }
        var gils = new List<LiveGilRow>();
        foreach (var g in report.Gils)
        {
            if (!_processes.TryGetValue(g.Pid, out var p)) _processes[g.Pid] = p = new ProcessState();
            long from = Math.Max(at - interval, g.StartNs), to = Math.Min(at, g.EndNs);
            long held = g.HeldNs - p.HeldAtFrame, acquisitions = g.Acquisitions - p.AcquisitionsAtFrame;
            p.HeldAtFrame = g.HeldNs;
            p.AcquisitionsAtFrame = g.Acquisitions;
            p.Seen = true;
            if (to > from) gils.Add(new LiveGilRow(g.Pid, Percent.Of(Math.Min(held, to - from), to - from), p.Waiting, acquisitions / seconds));
        }
        foreach (var pid in _processes.Where(kv => kv.Value.Seen && report.Gils.All(g => g.Pid != kv.Key)).Select(kv => kv.Key).ToList())
            _processes.Remove(pid);
        double eventsPerSecond = (report.EventCount - _eventsAtFrame) / seconds;
        _eventsAtFrame = report.EventCount;
        rows.Sort((a, b) => b.Interval.WaitPct.CompareTo(a.Interval.WaitPct) is var c && c != 0 ? c : a.Tid.CompareTo(b.Tid));
        return new LiveFrame(at, interval, at - _startNs, eventsPerSecond, report.LostEvents, gils, rows);
    }

    void IIntervalSink.OnGilInterval(in GilInterval interval)
    {
        if (interval.State == GilState.Wait) State(interval.Tid).Waits.Add(interval.DurationNs);
    }

    void IIntervalSink.OnWaitersChanged(int pid, long timestampNs, int waiting)
    {
        if (!_processes.TryGetValue(pid, out var p)) _processes[pid] = p = new ProcessState();
        p.Waiting = waiting;
    }
}
