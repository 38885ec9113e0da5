using GilTracer.Core.Model;

namespace GilTracer.Core.Analyze;

/// <summary>
/// The GIL state machine. Consumes time-ordered events and streams closed intervals to sinks;
/// memory grows with the number of threads, not events. Per thread:
/// wait = take_gil entry → take_gil return while another thread held the GIL (taking a free GIL is no wait), and
/// drop_gil entry → return while another thread waited (the forced-switch handover: the dropper sleeps there until
/// the next thread has taken the GIL, a VM's wake-up latency makes that milliseconds), and likewise the forced-switch
/// wait after an inlined release (handover-wait probes); hold = take_gil return → drop_gil entry or release site;
/// no GIL = the rest of the thread's life.
/// It tolerates what real recordings contain: duplicated events (dropped and counted), a take_gil that never
/// returns (daemon thread parked at shutdown), drop_gil called inside take_gil during finalization, and
/// recordings that start or end inside a wait or hold (clipped to the recording).
/// </summary>
public sealed class GilAnalyzer
{
    readonly Dictionary<int, ThreadTrack> _threads = new();
    readonly Dictionary<int, ProcessTrack> _processes = new();
    readonly Dictionary<int, string> _pythonNames = new();
    /// <summary>Creation times of threads from fork events, for threads whose first GIL event is still to come.</summary>
    readonly Dictionary<int, long> _forkNs = new();
    readonly List<IIntervalSink> _sinks = new();
    long _firstNs = long.MaxValue, _lastNs = long.MinValue;
    /// <summary>The first GIL event: with attach --state the sched recording (its events come here too) starts seconds
    /// before the GIL probes are live, and must not move the start of the lives back.</summary>
    long _firstGilNs = long.MaxValue;
    long _events, _duplicates, _lost;
    int _defaultPid;
    RecordingWindow? _window;

    public void AddSink(IIntervalSink sink) => _sinks.Add(sink);

    /// <summary>Python's own thread names (threading.Thread.name), which win over perf's 15-byte comm.</summary>
    public void SetPythonThreadName(int tid, string name) => _pythonNames[tid] = name;

    /// <summary>Attach: the real start and stop of the recording and which threads lived across them.</summary>
    public void SetRecordingWindow(RecordingWindow window) => _window = window;

    /// <summary>A live recording was asked to stop at this time: later events are not analyzed (see the window's clip).</summary>
    public void StoppedAt(long ns)
    {
        if (_window is { } w && ns > w.StartNs) _window = w with { EndNs = ns };
    }

    public void Process(IEnumerable<TraceEvent> events)
    {
        foreach (var e in events) Process(e);
    }

    public void Process(in TraceEvent e)
    {
        _events++;
        if (e.Kind == EventKind.Lost) { _lost += e.LostCount; return; }
        if (e.TimestampNs < _firstNs) _firstNs = e.TimestampNs;
        if (e.TimestampNs > _lastNs) _lastNs = e.TimestampNs;
        switch (e.Kind)
        {
            case EventKind.TakeGil:
            case EventKind.TakeGilReturn:
            case EventKind.DropGil:
            case EventKind.DropGilReturn:
            case EventKind.ReleaseSite:
            case EventKind.HandoverWait:
            case EventKind.HandoverWaitEnd:
                OnGilEvent(e);
                break;
            case EventKind.Comm:
                if (e.Comm is not null && _threads.TryGetValue(e.Tid, out var t)) t.Comm = e.Comm;
                break;
            case EventKind.Exit:
                // the first exit counts: sched_process_exit, then perf's EXIT record a little later
                if (_threads.TryGetValue(e.Tid, out var x) && x.ExitNs < 0)
                {
                    x.ExitNs = e.TimestampNs;
                    if (_processes.TryGetValue(x.Pid, out var xp) && e.TimestampNs > xp.EndNs) xp.EndNs = e.TimestampNs;
                }
                break;
            case EventKind.Fork:
                if (e.ChildTid > 0 && !_threads.ContainsKey(e.ChildTid)) _forkNs[e.ChildTid] = e.TimestampNs;
                break;
        }
    }

    /// <summary>
    /// Whether the thread is now held back by the GIL: inside take_gil, or inside a drop_gil that hands the GIL to
    /// a waiter (as the wait is counted). A thread cannot change this while it sleeps, so its value at a switch-out
    /// holds for the whole sleep. Null before the thread's first GIL event.
    /// </summary>
    public bool? IsHeldBackByGil(int tid) =>
        _threads.TryGetValue(tid, out var t) && t.Seen ? t.State == GilState.Wait || t.State == GilState.Release && t.Handover : null;

    int PidOf(in TraceEvent e)
    {
        if (e.PidKnown) return e.Pid;
        if (_threads.TryGetValue(e.Tid, out var known)) return known.Pid;
        // Text without pid: one process, named after the thread that touched the GIL first (the main thread
        // initialises it).
        if (_defaultPid == 0) _defaultPid = e.Tid;
        return _defaultPid;
    }

    void OnGilEvent(in TraceEvent e)
    {
        long ts = e.TimestampNs;
        // perf joining a running process enables (and at the stop disables) its events one thread at a time: before
        // the start was acknowledged and after the stop was asked, some threads are recorded and others not, and a
        // release missing there made two holders at once. Only the window between is analyzed.
        if (_window is { } w && (ts < w.StartNs || (w.EndNs > w.StartNs && ts > w.EndNs))) return;
        if (ts < _firstGilNs) _firstGilNs = ts;
        if (!_threads.TryGetValue(e.Tid, out var t))
        {
            t = new ThreadTrack(PidOf(e), e.Tid);
            _threads[e.Tid] = t;
        }
        if (e.Comm is not null) t.Comm = e.Comm;
        if (t.LastKind == e.Kind && t.LastKindNs == ts) { _duplicates++; return; }
        var previous = t.LastKind;
        t.LastKind = e.Kind;
        t.LastKindNs = ts;
        t.LastNs = ts;
        var p = Process(t.Pid);
        if (ts < p.StartNs) p.StartNs = ts;
        if (ts > p.EndNs) p.EndNs = ts;
        if (!t.Seen) FirstSeen(t, p, e.Kind, ts);

        switch (e.Kind)
        {
            case EventKind.TakeGil: OnTakeGil(t, p, ts); break;
            case EventKind.TakeGilReturn: OnTakeGilReturn(t, p, ts); break;
            case EventKind.DropGil: OnDropGil(t, p, ts); break;
            case EventKind.ReleaseSite: OnReleaseSite(t, p, ts); break;
            case EventKind.DropGilReturn: OnDropGilReturn(t, p, ts); break;
            case EventKind.HandoverWait: OnHandoverWait(t, p, ts, afterReleaseEnd: previous == EventKind.DropGilReturn); break;
            case EventKind.HandoverWaitEnd: OnHandoverWaitEnd(t, ts); break;
        }
    }

    /// <summary>
    /// The first event says what the thread was doing before we saw it: only a take_gil entry means "not holding, not
    /// waiting"; anything else was under way since before the recording started.
    /// </summary>
    void FirstSeen(ThreadTrack t, ProcessTrack p, EventKind first, long ts)
    {
        t.Seen = true;
        var before = first switch
        {
            EventKind.TakeGil => GilState.NoGil,
            EventKind.TakeGilReturn => GilState.Wait,
            EventKind.DropGil or EventKind.ReleaseSite or EventKind.HandoverWait => GilState.Hold,
            _ => GilState.Release,
        };
        // Where life starts: a recorded fork (--state) is exact; a thread alive when an attach began lived since
        // the start; a first event other than a take_gil entry was under way since before the recording.
        bool existed = _window is not null && _window.AliveAtStart.Contains(t.Tid);
        long recordingStart = _window is not null ? Math.Min(_window.StartNs, _firstGilNs) : Math.Min(_firstNs, p.StartNs);
        long start = _forkNs.Remove(t.Tid, out long forkNs) && forkNs <= ts ? forkNs
            : before != GilState.NoGil ? recordingStart
            : existed ? recordingStart : ts;
        if (start < p.StartNs) p.StartNs = start;
        t.StartNs = start;
        t.StateSinceNs = start;
        t.WaitStartNs = start;
        t.State = before;
        t.Handover = first == EventKind.HandoverWaitEnd; // in a forced-switch wait since before the recording
        // Seen only now, it was in its state since before: what the other threads did meanwhile is judged again. Those
        // waiting while it held were blocked by it; a release under way while it waited hands the GIL over.
        // (Only then: most threads are first seen at a take_gil entry, and must not cost a look at every other thread.)
        if (before is GilState.Hold or GilState.Wait)
        {
            foreach (var other in _threads.Values)
            {
                if (other == t || other.Pid != t.Pid) continue;
                if (before == GilState.Hold && other.State == GilState.Wait) other.Contended = true;
                if (before == GilState.Wait && other.State == GilState.Release) other.Handover = true;
            }
        }
        if (before == GilState.Hold) TakeHold(p, t);
        if (before == GilState.Wait)
        {
            t.Contended = true; // waiting since before the recording: assume it was for somebody
            p.Waiting++;        // counted like any waiter, so its return does not take the count below zero
            foreach (var s in _sinks) s.OnWaitersChanged(t.Pid, start, p.Waiting);
        }
    }

    void OnTakeGil(ThreadTrack t, ProcessTrack p, long ts)
    {
        if (t.State == GilState.Wait) return; // re-entry (drop_gil inside take_gil at finalization)
        if (t.State == GilState.Hold) EndHold(p, t, ts);
        Enter(t, GilState.Wait, ts);
        t.WaitStartNs = ts;
        t.Contended = p.HolderTid != 0 && p.HolderTid != t.Tid;
        t.AcquisitionsAtEntry = p.Acquisitions;
    }

    void OnTakeGilReturn(ThreadTrack t, ProcessTrack p, long ts)
    {
        if (t.State == GilState.Hold) return;
        if (t.State == GilState.Wait)
        {
            // Blocked only if somebody held the GIL meanwhile; taking a free GIL is no wait (its microseconds
            // are mostly the probes' own cost).
            bool blocked = t.Contended || p.Acquisitions != t.AcquisitionsAtEntry;
            long wait = blocked ? Math.Max(0, ts - t.WaitStartNs) : 0; // never below 0 (disordered events), as LatencyHistogram counts it
            p.Waits.Add(wait);
            foreach (var s in _sinks) s.OnAcquisition(t.Pid, wait);
            Enter(t, GilState.Hold, ts, closeAs: blocked ? null : GilState.NoGil);
        }
        else Enter(t, GilState.Hold, ts);
        t.Acquisitions++;
        p.Acquisitions++;
        TakeHold(p, t);
    }

    void OnDropGil(ThreadTrack t, ProcessTrack p, long ts)
    {
        if (t.State == GilState.Hold) EndHold(p, t, ts);
        if (t.State != GilState.Release) Enter(t, GilState.Release, ts);
        t.Handover = p.Waiting > 0;
    }

    /// <summary>No return follows an inlined release: what comes after it is real no-GIL time.</summary>
    void OnReleaseSite(ThreadTrack t, ProcessTrack p, long ts)
    {
        if (t.State == GilState.Hold) EndHold(p, t, ts);
        if (t.State is GilState.Hold or GilState.Release) Enter(t, GilState.NoGil, ts);
    }

    /// <summary>
    /// The forced switch after a release (drop_gil or a copy inlined into an I/O wrapper, which has no return to
    /// probe): another thread asked for the GIL and has not taken it yet, so until the wait ends the dropper is held
    /// back by the GIL, as in a drop_gil that hands over.
    /// </summary>
    /// <remarks>
    /// Right after the end of an inlined release (its mutex unlock, probed as a drop_gil return) the thread is still in
    /// drop_gil's code, on its way to this forced switch: the gap counts as the wait it leads into, as a drop_gil
    /// entry → return does with symbols. On a shared CPU the waiter woken by the release's signal often preempts the
    /// dropper in that gap, for a scheduler tick: counted as no GIL, that showed as 2–3 % phantom no-GIL under load.
    /// </remarks>
    void OnHandoverWait(ThreadTrack t, ProcessTrack p, long ts, bool afterReleaseEnd)
    {
        if (t.State == GilState.Wait) return;
        if (t.State == GilState.Hold) EndHold(p, t, ts);
        if (t.State == GilState.NoGil && afterReleaseEnd)
        {
            t.ReleaseNs += Math.Max(0, ts - t.StateSinceNs);
            Enter(t, GilState.Release, ts, closeAs: GilState.Wait);
        }
        else if (t.State != GilState.Release) Enter(t, GilState.Release, ts);
        t.Handover = true;
    }

    void OnHandoverWaitEnd(ThreadTrack t, long ts)
    {
        if (t.State != GilState.Release || !t.Handover) return;
        t.ReleaseNs += Math.Max(0, ts - t.StateSinceNs);
        Enter(t, GilState.NoGil, ts, closeAs: GilState.Wait);
    }

    void OnDropGilReturn(ThreadTrack t, ProcessTrack p, long ts)
    {
        if (t.State == GilState.Hold) EndHold(p, t, ts);
        if (t.State == GilState.Wait) return; // drop_gil returned inside take_gil: still waiting
        if (t.State == GilState.Release)
        {
            if (t.Handover) t.ReleaseNs += Math.Max(0, ts - t.StateSinceNs);
            Enter(t, GilState.NoGil, ts, closeAs: t.Handover ? GilState.Wait : GilState.NoGil);
        }
        else Enter(t, GilState.NoGil, ts);
    }

    ProcessTrack Process(int pid)
    {
        if (!_processes.TryGetValue(pid, out var p)) _processes[pid] = p = new ProcessTrack(pid);
        return p;
    }

    static void TakeHold(ProcessTrack p, ThreadTrack t)
    {
        // Holds of one GIL must not overlap; a second holder means lost or misordered events.
        if (p.HolderTid != 0 && p.HolderTid != t.Tid) p.OverlapViolations++;
        if (p.LastHolderTid != t.Tid && p.LastHolderTid != 0) p.Switches++;
        p.HolderTid = t.Tid;
        p.LastHolderTid = t.Tid;
    }

    static void EndHold(ProcessTrack p, ThreadTrack t, long ts)
    {
        long held = ts - t.StateSinceNs;
        if (held > p.LongestHoldNs) p.LongestHoldNs = held;
        if (p.HolderTid == t.Tid) p.HolderTid = 0;
    }

    /// <summary>Closes the thread's current interval at ts (reported as closeAs when given) and starts the next state.</summary>
    void Enter(ThreadTrack t, GilState next, long ts, GilState? closeAs = null)
    {
        Close(t, ts, closeAs);
        if ((t.State == GilState.Wait) != (next == GilState.Wait))
        {
            var p = Process(t.Pid);
            p.Waiting += next == GilState.Wait ? 1 : -1;
            foreach (var s in _sinks) s.OnWaitersChanged(t.Pid, ts, p.Waiting);
        }
        t.State = next;
        t.StateSinceNs = ts;
    }

    void Close(ThreadTrack t, long ts, GilState? closeAs = null)
    {
        long d = ts - t.StateSinceNs;
        if (d <= 0) return;
        var state = closeAs ?? t.State;
        if (state == GilState.Hold) { t.HoldNs += d; Process(t.Pid).HeldNs += d; }
        else if (state == GilState.Wait) t.WaitNs += d;
        var iv = new GilInterval(t.Pid, t.Tid, t.StateSinceNs, ts, state);
        foreach (var s in _sinks) s.OnGilInterval(iv);
    }

    /// <summary>
    /// The running totals as if the recording stopped at <paramref name="watermarkNs"/> (the newest event's time, or
    /// later): waits and holds still open count up to it. Changes nothing: events may go on streaming in.
    /// <paramref name="live"/>: the recording goes on (top), so every thread that has not exited is alive at the
    /// watermark, as an attach's threads alive at its end live to its end; its life, and its process, last until then.
    /// </summary>
    public GilReport Snapshot(long watermarkNs, bool live = false) => Summarize(null, watermarkNs, live);

    /// <summary>
    /// The final snapshot, after the last event: what is still open is closed (and streamed to the sinks) at the end of
    /// the thread's life. A wait or hold still open at the end lasts until the process's last event (a daemon thread
    /// parked in take_gil at shutdown never returns); otherwise life ends at the thread's last event, or at the end of
    /// an attach for threads that were still alive then.
    /// </summary>
    public GilReport Finish()
    {
        var ends = Ends(null);
        foreach (var (t, end) in ends)
        {
            var iv = new GilInterval(t.Pid, t.Tid, t.StateSinceNs, end, t.State);
            if (iv.DurationNs > 0)
                foreach (var s in _sinks) s.OnGilInterval(iv);
        }
        return Summarize(ends, null, false);
    }

    /// <summary>
    /// Where each thread's life ends: at its exit; at the end of an attach for threads alive then (their process lasts
    /// that long too); for a wait or hold still open, at the snapshot's watermark or the process's end; else at the
    /// thread's last event.
    /// </summary>
    Dictionary<ThreadTrack, long> Ends(long? watermarkNs, bool live = false)
    {
        bool AliveAtEnd(ThreadTrack t) => live ? t.ExitNs < 0 : IsAliveAtEnd(t);
        long aliveUntil = live ? watermarkNs!.Value : _window?.EndNs ?? 0;
        var processEnd = _processes.Values.ToDictionary(p => p.Pid, p => p.EndNs);
        foreach (var t in _threads.Values)
            if (AliveAtEnd(t)) processEnd[t.Pid] = Math.Max(processEnd[t.Pid], aliveUntil);
        return _threads.Values.ToDictionary(t => t, t =>
            t.ExitNs >= 0 ? t.ExitNs
            : AliveAtEnd(t) ? processEnd[t.Pid]
            : t.State is GilState.Wait or GilState.Hold ? Math.Max(watermarkNs ?? processEnd[t.Pid], t.StateSinceNs)
            : t.LastNs);
    }

    /// <summary>The report of the totals so far, each thread's open state counted up to the end of its life.</summary>
    GilReport Summarize(Dictionary<ThreadTrack, long>? ends, long? watermarkNs, bool live)
    {
        var report = new GilReport { LostEvents = _lost, DuplicateEvents = _duplicates, EventCount = _events };
        if (_threads.Count == 0) return report;
        ends ??= Ends(watermarkNs, live);
        var warnings = new List<string>();
        var gils = _processes.Values.OrderBy(p => p.StartNs).Select(p => GilOf(p, ends, warnings)).ToList();
        var threads = _threads.Values.OrderBy(t => t.Pid).ThenBy(t => t.StartNs).Select(t => ThreadOf(t, ends[t])).ToList();
        if (_duplicates > 0) warnings.Add($"dropped {_duplicates} duplicated probe events (same event, same timestamp)");
        if (_lost > 0) warnings.Add($"perf lost {_lost} events: numbers around the gaps are uncertain; raise --mmap-pages");
        long last = watermarkNs is { } w ? Math.Max(_lastNs, w) : _lastNs;
        return report with
        {
            StartNs = _window is null ? _firstNs : Math.Min(_firstGilNs, _window.StartNs),
            EndNs = _window is null ? last : Math.Max(last, _window.EndNs),
            Gils = gils, Threads = threads, Warnings = warnings,
        };
    }

    /// <summary>Time in the thread's current state, from its start to the end of its life (0 once closed).</summary>
    static long OpenNs(ThreadTrack t, long end) => Math.Max(0, end - t.StateSinceNs);

    GilSummary GilOf(ProcessTrack p, Dictionary<ThreadTrack, long> ends, List<string> warnings)
    {
        long endNs = p.EndNs, heldNs = p.HeldNs, longestHold = p.LongestHoldNs;
        foreach (var (t, end) in ends)
        {
            if (t.Pid != p.Pid) continue;
            endNs = Math.Max(endNs, end);
            if (t.State != GilState.Hold) continue;
            heldNs += OpenNs(t, end);
            longestHold = Math.Max(longestHold, end - t.StateSinceNs);
        }
        long span = Math.Max(1, endNs - p.StartNs);
        if (p.OverlapViolations > 0)
            warnings.Add($"GIL of process {p.Pid}: {p.OverlapViolations} acquisitions while another thread still held it (lost or misordered events)");
        return new GilSummary(p.Pid, Percent.Of(Math.Min(heldNs, span), span), p.Acquisitions, p.Switches,
            p.Waits.Percentile(0.50), p.Waits.Percentile(0.90), p.Waits.Percentile(0.99), p.Waits.Max,
            longestHold, p.OverlapViolations, p.StartNs, endNs)
        {
            HeldNs = heldNs, Waits = new WaitHistogram(p.Waits.CountsAtBounds(), p.Waits.Count, p.Waits.Sum),
        };
    }

    ThreadSummary ThreadOf(ThreadTrack t, long end) => new()
    {
        Pid = t.Pid, Tid = t.Tid, IsMain = t.Tid == t.Pid,
        Name = _pythonNames.TryGetValue(t.Tid, out var n) ? n : t.Comm ?? "",
        StartNs = t.StartNs, EndNs = end,
        HoldNs = t.HoldNs + (t.State == GilState.Hold ? OpenNs(t, end) : 0),
        WaitNs = t.WaitNs + (t.State == GilState.Wait ? OpenNs(t, end) : 0),
        ReleaseNs = t.ReleaseNs, Acquisitions = t.Acquisitions,
    };

    bool IsAliveAtEnd(ThreadTrack t) => _window is not null && t.ExitNs < 0 && _window.AliveAtEnd.Contains(t.Tid);

    /// <summary>
    /// Forgets threads that exited before <paramref name="exitedBeforeNs"/>, and processes left without threads whose last
    /// event is that old too: a recording that runs for days (top) keeps the threads of the recent past only. What they
    /// added to their GIL's totals stays there while the process lives. Returns how many threads were forgotten.
    /// </summary>
    public int Retire(long exitedBeforeNs)
    {
        var gone = _threads.Values.Where(t => t.ExitNs >= 0 && t.ExitNs < exitedBeforeNs).ToList();
        foreach (var t in gone)
        {
            _threads.Remove(t.Tid);
            _pythonNames.Remove(t.Tid);
        }
        if (gone.Count > 0)
        {
            var withThreads = _threads.Values.Select(t => t.Pid).ToHashSet();
            foreach (var p in _processes.Values.Where(p => !withThreads.Contains(p.Pid) && p.EndNs < exitedBeforeNs).ToList())
                _processes.Remove(p.Pid);
        }
        return gone.Count;
    }
}
