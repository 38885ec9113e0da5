using GilTracer.Core.Analyze;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Analyze;

/// <summary>attach --state: the sched recording starts before the GIL probes are live and stops after them. What lies
/// outside the GIL recording's window is neither "no GIL" nor plain sleep: lives and states are clipped to it.</summary>
public class AttachWindowTests
{
    const long S = 1_000_000_000;
    const int Pid = 100, A = 101, B = 102;

    /// <summary>Two CPU-bound threads alternating the GIL every 5 ms between 1 s and 3 s; sched events from 0 to 4 s.</summary>
    static List<TraceEvent> Events()
    {
        var list = new List<TraceEvent>();
        void Sched(long ts, int prev, int next, ThreadRunState state) =>
            list.Add(new TraceEvent(EventKind.SchedSwitch, ts, Pid, prev, State: state) { NextTid = next });
        // before the window: both run, switched by the scheduler (the GIL recording sees nothing of it)
        for (long ts = 0; ts < 1 * S; ts += 10_000_000) Sched(ts, A, B, ThreadRunState.Runnable);
        list.Add(new TraceEvent(EventKind.TakeGilReturn, 1 * S + 1, Pid, A));
        list.Add(new TraceEvent(EventKind.TakeGil, 1 * S + 2, Pid, B));
        int holder = A, waiter = B;
        for (long ts = 1 * S + 5_000_000; ts < 3 * S; ts += 5_000_000)
        {
            list.Add(new TraceEvent(EventKind.DropGil, ts, Pid, holder));
            list.Add(new TraceEvent(EventKind.TakeGilReturn, ts + 1000, Pid, waiter));
            list.Add(new TraceEvent(EventKind.TakeGil, ts + 2000, Pid, holder));
            (holder, waiter) = (waiter, holder);
        }
        // after the window: the sched recording goes on for a second
        for (long ts = 3 * S + 10_000_000; ts < 4 * S; ts += 10_000_000) Sched(ts, A, B, ThreadRunState.Sleeping);
        return list.OrderBy(e => e.TimestampNs).ToList();
    }

    [Fact]
    public void LivesAndStatesEndAtTheWindowsEdges()
    {
        var window = new RecordingWindow(1 * S, 3 * S, new HashSet<int> { A, B }, new HashSet<int> { A, B });
        var analysis = new RecordingAnalysis(new AnalysisSetup { Sched = true, Scope = TaskScope.Tree([Pid]), Window = window });
        var spans = new Collect();
        analysis.AddSink(spans);
        foreach (var e in Events())
            if (analysis.Admit(e)) analysis.Process(e);
        var r = analysis.Finish(new ReportContext());
        foreach (var tid in new[] { A, B })
        {
            var t = r.Thread(tid);
            Assert.Equal(1 * S, t.StartNs);
            Assert.Equal(3 * S, t.EndNs);
            Assert.InRange(t.GilWaitPct, 45, 55);
            Assert.True(t.NoGilPct < 1, $"{tid}: {t.NoGilPct} % no GIL");
            Assert.True(t.States!.SleepingPct < 1, $"{tid}: {t.States.SleepingPct} % plain S");
            Assert.All(spans.Sched.Where(i => i.Tid == tid), i => Assert.True(i.StartNs >= 1 * S && i.EndNs <= 3 * S, $"{i}"));
        }
    }

    /// <summary>perf enables and disables a running process's events thread by thread: outside the window one thread is
    /// recorded and the other not. Seen on a busy machine: the holder's last release lost after the stop while the
    /// waiter's acquisition was recorded, and the reverse at the start. Neither makes two holders.</summary>
    [Fact]
    public void EventsOutsideTheWindowMakeNoSecondHolder()
    {
        var events = new List<TraceEvent>
        {
            // before the start's acknowledgement only B is recorded: it takes the GIL A (not yet recorded) released
            new(EventKind.TakeGilReturn, 1 * S - 1000, Pid, B),
            new(EventKind.DropGil, 1 * S + 5_000_000, Pid, A), // A's first event: held since the start
            new(EventKind.TakeGilReturn, 1 * S + 5_001_000, Pid, B),
            new(EventKind.TakeGil, 1 * S + 5_002_000, Pid, A),
            // after the stop was asked, only B's events are still enabled: it takes a GIL whose release is not recorded
            new(EventKind.TakeGil, 2 * S + 2000, Pid, B),
            new(EventKind.TakeGilReturn, 2 * S + 3000, Pid, B),
        };
        var window = new RecordingWindow(1 * S, 2 * S, new HashSet<int> { A, B }, new HashSet<int> { A, B });
        var analysis = new RecordingAnalysis(new AnalysisSetup { Window = window });
        foreach (var e in events)
            if (analysis.Admit(e)) analysis.Process(e);
        var gil = Assert.Single(analysis.Finish(new ReportContext()).Gils);
        Assert.Equal(0, gil.OverlapViolations);
        Assert.Equal(1, gil.Acquisitions);
    }

    sealed class Collect : IIntervalSink
    {
        public readonly List<SchedInterval> Sched = new();
        public void OnGilInterval(in GilInterval interval) { }
        public void OnSchedInterval(in SchedInterval interval) => Sched.Add(interval);
    }
}
