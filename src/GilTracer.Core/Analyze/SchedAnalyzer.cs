using GilTracer.Core.Model;

namespace GilTracer.Core.Analyze;

/// <summary>
/// Kernel thread states (--state) from sched events, streamed like the GIL state machine:
/// running from switch-in to switch-out; after a switch-out, runnable for prev_state R/R+ (preempted), sleeping for
/// S, disk for D; a sleeping thread that is woken is runnable until it is switched in. A sleep while the GIL
/// analyzer has the thread inside take_gil is S(GIL); for recordings with call stacks but no GIL probes, a sleep
/// whose switch-out has take_gil on its stack is S(GIL) (the seed's `perf2trace sched`). Events must be time-ordered
/// and already admitted by the <see cref="TaskScope"/>; feed the GIL analyzer the same event first.
/// A thread's life runs from its fork (or wakeup_new) to its exit; without them it is clipped to the recording,
/// and what a thread did before its first event is inferred from that event (switched out: it was running, and so on).
/// </summary>
public sealed class SchedAnalyzer(TaskScope scope, GilAnalyzer? gil = null)
{
    readonly Dictionary<int, SchedTrack> _threads = new();
    readonly Dictionary<int, int> _runnable = new();
    readonly Dictionary<int, int> _countedRunnable = new(); // tid → the pid it is counted under
    readonly List<IIntervalSink> _sinks = new();
    long _firstNs = long.MaxValue, _lastNs = long.MinValue;
    int _defaultPid;

    /// <summary>Times a thread was seen running (an event in its own context) while its switch-in was never recorded:
    /// normal at the edges, frequent in per-task recordings, which miss switch-ins and wakeups made by other tasks.</summary>
    public long MissedSwitchIns { get; private set; }
    public long SchedEvents { get; private set; }

    /// <summary>
    /// The GIL recording's window (attach --state): the sched recording runs system-wide from before the GIL probes are
    /// live to after they are gone, and what the GIL recording did not see must not count (it would be "no GIL" and
    /// plain sleep). States and lives are clipped to it; the events outside still tell what state a thread was in.
    /// </summary>
    public long ClipStartNs { get; init; } = long.MinValue;
    public long ClipEndNs { get; init; } = long.MaxValue;

    public void AddSink(IIntervalSink sink) => _sinks.Add(sink);

    public void Process(in TraceEvent e)
    {
        if (e.Kind == EventKind.Lost) return;
        long ts = e.TimestampNs;
        if (ts < _firstNs) _firstNs = ts;
        if (ts > _lastNs) _lastNs = ts;

        // The task an event was recorded in is on a CPU at that moment (sched_switch: prev, still running).
        if (scope.Contains(e.Tid))
        {
            var c = Track(e.Tid);
            if (e.Comm is not null && e.Kind != EventKind.Exit) c.Comm = e.Comm;
            Confirm(c, e.PidKnown && e.Pid > 0 ? e.Pid : 0, ts);
            SeenRunning(c, ts);
        }

        switch (e.Kind)
        {
            case EventKind.SchedSwitch: SchedEvents++; OnSwitch(e, ts); break;
            case EventKind.SchedWakeup or EventKind.SchedWakeupNew: SchedEvents++; OnWakeup(e, ts); break;
            case EventKind.Fork: SchedEvents++; OnFork(e, ts); break;
            case EventKind.Exit: SchedEvents++; OnExit(e, ts); break;
        }
    }

    void OnSwitch(in TraceEvent e, long ts)
    {
        if (scope.Contains(e.Tid) && Track(e.Tid) is { Phase: not SchedPhase.Dead } prev)
        {
            prev.SleepIsGil = IsGilSleep(prev.Tid, e.StackHasTakeGil);
            Transition(prev, e.State switch
            {
                ThreadRunState.Runnable => SchedPhase.Runnable,
                ThreadRunState.Disk => SchedPhase.Disk,
                _ => SchedPhase.Sleeping, // S, and T/t (stopped) too
            }, ts);
        }
        if (e.NextTid != e.Tid && scope.Contains(e.NextTid) && Track(e.NextTid) is { Phase: not SchedPhase.Dead } next)
        {
            // Switched in without a wakeup on record: it was waiting for a CPU (or woken before we looked).
            if (next.Phase == SchedPhase.Unknown) Begin(next, SchedPhase.Runnable, ts);
            if (next.Phase != SchedPhase.Running) Transition(next, SchedPhase.Running, ts);
        }
    }

    void OnWakeup(in TraceEvent e, long ts)
    {
        if (!scope.Contains(e.WokenTid)) return;
        var w = Track(e.WokenTid);
        if (w.Phase == SchedPhase.Unknown)
        {
            if (e.Kind == EventKind.SchedWakeupNew) { w.StartNs = ts; Begin(w, SchedPhase.Runnable, ts); }
            else { w.SleepIsGil = IsGilSleep(w.Tid, false); Begin(w, SchedPhase.Sleeping, ts); }
        }
        // Wakeups of running or runnable tasks happen (the kernel traces them too): nothing changes.
        if (w.Phase is SchedPhase.Sleeping or SchedPhase.Disk) Transition(w, SchedPhase.Runnable, ts);
    }

    void OnFork(in TraceEvent e, long ts)
    {
        if (e.ChildTid <= 0 || !scope.Contains(e.ChildTid)) return;
        var child = Track(e.ChildTid);
        if (child.Phase != SchedPhase.Unknown) return;
        // Threads share the parent's pid; a child process gets its own, confirmed at its first own event.
        if (scope.Contains(e.Tid)) child.Pid = e.ChildPid > 0 ? e.ChildPid : Track(e.Tid).Pid;
        if (e.ChildPid > 0) Confirm(child, e.ChildPid, ts);
        child.StartNs = ts;
        Begin(child, SchedPhase.Runnable, ts);
    }

    void OnExit(in TraceEvent e, long ts)
    {
        if (!scope.Contains(e.Tid)) return;
        var x = Track(e.Tid);
        if (x.Phase == SchedPhase.Dead) return;
        if (x.Phase == SchedPhase.Unknown) Begin(x, SchedPhase.Running, ts);
        Transition(x, SchedPhase.Dead, ts);
        x.EndNs = ts;
    }

    SchedTrack Track(int tid)
    {
        if (!_threads.TryGetValue(tid, out var t)) _threads[tid] = t = new SchedTrack(tid);
        return t;
    }

    void SeenRunning(SchedTrack t, long ts)
    {
        switch (t.Phase)
        {
            case SchedPhase.Unknown:
                Begin(t, SchedPhase.Running, ts);
                break;
            case SchedPhase.Runnable:
            case SchedPhase.Sleeping:
            case SchedPhase.Disk:
                MissedSwitchIns++;
                Transition(t, SchedPhase.Running, ts);
                break;
        }
    }

    /// <summary>First knowledge of a thread: it was in `before` since its start (fork) or since the recording began.</summary>
    void Begin(SchedTrack t, SchedPhase before, long ts)
    {
        if (t.StartNs < 0) t.StartNs = Math.Min(_firstNs, ts);
        t.Phase = before;
        t.SinceNs = t.StartNs;
        if (before == SchedPhase.Runnable) SetRunnable(t, true, ts);
    }

    void Transition(SchedTrack t, SchedPhase next, long ts)
    {
        if (ts < t.SinceNs) ts = t.SinceNs; // clock skew between CPUs: never a negative interval
        Close(t, ts);
        SetRunnable(t, next == SchedPhase.Runnable, ts);
        t.Phase = next;
        t.SinceNs = ts;
    }

    void Close(SchedTrack t, long ts)
    {
        long from = Math.Max(t.SinceNs, ClipStartNs), to = Math.Min(ts, ClipEndNs);
        long d = to - from;
        if (d <= 0) return;
        SchedState? state = t.Phase switch
        {
            SchedPhase.Running => SchedState.Running,
            SchedPhase.Runnable => SchedState.Runnable,
            SchedPhase.Disk => SchedState.Disk,
            SchedPhase.Sleeping => t.SleepIsGil ? SchedState.SleepingGil : SchedState.Sleeping,
            _ => null,
        };
        if (state is not { } s) return;
        t.Ns[(int)s] += d;
        var iv = new SchedInterval(t.Pid, t.Tid, from, to, s);
        if (!t.PidConfirmed) (t.Pending ??= new()).Add(iv);
        else foreach (var sink in _sinks) sink.OnSchedInterval(iv);
    }

    /// <summary>
    /// Decided when the sleep starts: a thread cannot leave take_gil while asleep, so its GIL state then holds for the
    /// whole sleep. Not at the wakeup: wakeups and switch-ins can go unrecorded (on some VMs nothing is traced in a
    /// CPU's idle task, where remote wakeups and switch-ins from idle happen), and by the thread's next own event it
    /// may have left take_gil long ago.
    /// </summary>
    bool IsGilSleep(int tid, bool stackHasTakeGil) =>
        gil?.IsHeldBackByGil(tid) ?? stackHasTakeGil;

    /// <summary>The thread's pid is settled: from its own event (pid > 0), else a guess (text without pids).</summary>
    void Confirm(SchedTrack t, int pid, long ts)
    {
        if (t.PidConfirmed) return;
        if (pid <= 0) pid = t.Pid > 0 ? t.Pid : _defaultPid > 0 ? _defaultPid : _defaultPid = t.Tid;
        if (pid != t.Pid && _countedRunnable.ContainsKey(t.Tid))
        {
            SetRunnable(t, false, ts); // counted under a guessed pid: move it
            t.Pid = pid;
            SetRunnable(t, true, ts);
        }
        t.Pid = pid;
        t.PidConfirmed = true;
        if (t.Pending is { } pending)
        {
            t.Pending = null;
            foreach (var iv in pending)
                foreach (var sink in _sinks) sink.OnSchedInterval(iv with { Pid = pid });
        }
    }

    /// <summary>Counts runnable threads per process for the counter track (a new thread counts under its parent's pid
    /// until its own events say otherwise).</summary>
    void SetRunnable(SchedTrack t, bool on, long ts)
    {
        int pid;
        if (on)
        {
            if (t.Pid <= 0 || !_countedRunnable.TryAdd(t.Tid, t.Pid)) return;
            pid = t.Pid;
        }
        else if (!_countedRunnable.Remove(t.Tid, out pid)) return;
        _runnable.TryGetValue(pid, out int n);
        _runnable[pid] = n += on ? 1 : -1;
        foreach (var sink in _sinks) sink.OnRunnableChanged(pid, ts, n);
    }

    /// <summary>
    /// Closes what is open at the end of the recording and returns the report with the states: threads the GIL analyzer
    /// knows get States (and their life widened to the exact fork/exit bounds, GIL percentages recomputed over it);
    /// threads with sched events only are added as rows of their own.
    /// </summary>
    public GilReport Finish(GilReport report, IReadOnlyDictionary<int, string>? pythonNames = null)
    {
        if (_firstNs == long.MaxValue || SchedEvents == 0) return report; // no sched events: states unknown
        foreach (var t in _threads.Values)
        {
            if (t.Phase == SchedPhase.Unknown) continue;
            Confirm(t, 0, _lastNs);
            long end = t.Phase == SchedPhase.Dead ? t.EndNs : Math.Max(_lastNs, t.SinceNs);
            Close(t, end);
            SetRunnable(t, false, end);
            t.StartNs = Math.Max(t.StartNs, ClipStartNs);
            t.EndNs = Math.Min(end, ClipEndNs);
        }
        report = ThreadStateMerger.Merge(report, _threads.Values.Where(t => t.Phase != SchedPhase.Unknown && t.EndNs > t.StartNs),
            Math.Max(_firstNs, ClipStartNs), Math.Min(_lastNs, ClipEndNs), pythonNames);
        return MissedSwitchIns == 0 || MissedSwitchIns * 10 <= SchedEvents ? report
            : report with { Warnings = [.. report.Warnings, MissedSwitchInsWarning] };
    }

    /// <summary>System-wide recordings miss them too where a kernel traces nothing in an idle CPU's context (seen on
    /// VMs): the gap then ends at the thread's next own event, microseconds later when the CPU was idle.</summary>
    string MissedSwitchInsWarning => scope.IsTree
        ? $"{MissedSwitchIns} switch-ins and wakeups of the program's threads are missing from the system-wide recording " +
          "(this kernel does not trace some idle CPUs): those sleeps end at the thread's next own event, a little late"
        : $"{MissedSwitchIns} switch-ins and wakeups were not recorded (a per-task recording?): " +
          "sleeps look longer and running shorter than they were; record system-wide (giltracer run --state, or perf record -a)";
}
