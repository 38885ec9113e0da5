using GilTracer.Core.Model;

namespace GilTracer.Core.Analyze;

/// <summary>Time per (thread, interned stack) for one flame graph; stack ids belong to a FunctionTimeline.</summary>
public sealed class FoldedStacks
{
    public Dictionary<(int Tid, int Stack), long> Ns { get; } = new();
    public void Add(int tid, int stack, long ns) =>
        Ns[(tid, stack)] = Ns.TryGetValue((tid, stack), out var v) ? v + ns : ns;
    public long Total => Ns.Values.Sum();
}

/// <summary>What the join found: the ranking, who blocks whom, and the three flame graphs.</summary>
public sealed class BlameResult
{
    public required List<BlameRow> Rows { get; init; }
    public required List<BlockEdge> Matrix { get; init; }
    /// <summary>(a) where holders ran while others waited, weighted by the wait they caused (summed over waiters).</summary>
    public required FoldedStacks Holding { get; init; }
    /// <summary>(b) where threads were when they waited for the GIL.</summary>
    public required FoldedStacks Waiting { get; init; }
    /// <summary>(c) where threads ran (or slept) without the GIL.</summary>
    public required FoldedStacks OffGil { get; init; }
    public long TotalWaitNs { get; init; }
    /// <summary>Wait while no other thread held the GIL (the hand-off: the GIL was free, the waiter not yet running).
    /// Nobody's function caused it, so it is not a row; the summary reports it.</summary>
    public long HandoffWaitNs { get; init; }
    /// <summary>Functions left out of Rows because each caused less than the floor, and the wait they caused in all.</summary>
    public int RowsBelowFloor { get; init; }
    public long WaitBelowFloorNs { get; init; }
    public long FloorNs { get; init; }
}

/// <summary>
/// Joins GIL intervals with Python call stacks (--functions): for every interval in which a thread
/// waits for the GIL, the function running on the thread holding it at that time gets the waiting time. An
/// IIntervalSink: give it to GilAnalyzer, then call Finish with the tracer's timeline. Sweep: holds of each GIL
/// sorted by start (they do not overlap), waits sorted by start, a pointer that only moves forward; each overlap
/// is split along the holder's stack segments (binary search into the holder's timeline).
/// </summary>
public sealed class BlameAnalyzer : IIntervalSink
{
    public const string UnknownName = "<no traced Python frame>";
    const int UnknownFrame = int.MinValue;

    readonly List<GilInterval> _waits = new(), _holds = new(), _noGil = new();
    long _threadNs;

    public void OnGilInterval(in GilInterval iv)
    {
        _threadNs += iv.DurationNs;
        switch (iv.State)
        {
            case GilState.Wait: _waits.Add(iv); break;
            case GilState.Hold: _holds.Add(iv); break;
            case GilState.NoGil: _noGil.Add(iv); break;
        }
    }

    sealed class Acc
    {
        public long Self, Inclusive;
        public readonly HashSet<int> Victims = new(), Holders = new();
    }

    /// <summary>What the sweep over waits and holds gathers before it is ranked.</summary>
    sealed class Sweep(FunctionTimeline timeline)
    {
        public readonly FoldedStacks Holding = new(), Waiting = new(), OffGil = new();
        public readonly Dictionary<int, Acc> PerFrame = new();
        public readonly Dictionary<(int Pid, int Holder, int Waiter), long> Matrix = new();
        public long TotalWait, Handoff;
        // the holder and waiter of the piece being visited: one delegate for all pieces, no allocation per piece
        public int Holder, Waiter;

        public Acc Frame(int f) => PerFrame.TryGetValue(f, out var a) ? a : PerFrame[f] = new Acc();

        public void Blame(int stack, long ns)
        {
            Holding.Add(Holder, stack, ns);
            var a = Frame(stack == FunctionTimeline.Root ? UnknownFrame : timeline.Frame(stack));
            a.Victims.Add(Waiter);
            a.Holders.Add(Holder);
        }
    }

    /// <summary>
    /// minPctOfThreadTime: a function is a row only when the wait it caused is at least this share of all threads'
    /// time (their lives summed). Below it is noise, not blame: a thread's start, a wake-up colliding with another's,
    /// a holder descheduled for a moment on a busy machine; a program whose threads only sleep has no rows.
    /// </summary>
    public BlameResult Finish(FunctionTimeline timeline, Func<int, string> threadName, int maxRows = 200, double minPctOfThreadTime = 1.0)
    {
        var sweep = new Sweep(timeline);
        JoinWaitsWithHolds(timeline, sweep);
        Action<int, long> off = (stack, ns) => sweep.OffGil.Add(sweep.Waiter, stack, ns);
        foreach (var n in _noGil)
        {
            sweep.Waiter = n.Tid;
            timeline.Visit(n.Tid, n.StartNs, n.EndNs, off);
        }
        AddFrameTimes(timeline, sweep);

        long floor = (long)(_threadNs * minPctOfThreadTime / 100);
        var kept = sweep.PerFrame.Where(p => p.Value.Self > 0 && p.Value.Self >= floor).OrderByDescending(p => p.Value.Self).Take(maxRows).ToList();
        var below = sweep.PerFrame.Where(p => p.Value.Self > 0).ExceptBy(kept.Select(k => k.Key), p => p.Key).ToList();
        var edges = sweep.Matrix.OrderByDescending(m => m.Value)
            .Select(m => new BlockEdge(m.Key.Pid, m.Key.Holder, threadName(m.Key.Holder), m.Key.Waiter, threadName(m.Key.Waiter), m.Value))
            .ToList();
        return new BlameResult
        {
            Rows = kept.Select(k => Row(timeline, k.Key, k.Value, sweep.TotalWait, threadName)).ToList(), Matrix = edges,
            Holding = sweep.Holding, Waiting = sweep.Waiting, OffGil = sweep.OffGil,
            TotalWaitNs = sweep.TotalWait, HandoffWaitNs = sweep.Handoff,
            RowsBelowFloor = below.Count, WaitBelowFloorNs = below.Sum(p => p.Value.Self), FloorNs = floor,
        };
    }

    /// <summary>Each wait, split along the stacks of the threads that held the GIL meanwhile (and along the waiter's own
    /// stack for the waiting graph); wait no other thread's hold covers is the hand-off.</summary>
    void JoinWaitsWithHolds(FunctionTimeline timeline, Sweep sweep)
    {
        Action<int, long> blame = sweep.Blame;
        Action<int, long> wait = (stack, ns) => sweep.Waiting.Add(sweep.Waiter, stack, ns);
        var holdsByPid = _holds.GroupBy(h => h.Pid).ToDictionary(g => g.Key, g => g.OrderBy(h => h.StartNs).ToArray());
        var next = new Dictionary<int, int>(); // per pid: first hold that may still overlap a wait
        foreach (var w in _waits.OrderBy(w => w.StartNs))
        {
            sweep.TotalWait += w.DurationNs;
            sweep.Waiter = w.Tid;
            timeline.Visit(w.Tid, w.StartNs, w.EndNs, wait);
            long covered = 0;
            if (holdsByPid.TryGetValue(w.Pid, out var holds))
            {
                int j = next.GetValueOrDefault(w.Pid);
                while (j < holds.Length && holds[j].EndNs <= w.StartNs) j++;
                next[w.Pid] = j;
                for (int k = j; k < holds.Length && holds[k].StartNs < w.EndNs; k++)
                {
                    var h = holds[k];
                    if (h.Tid == w.Tid) continue;
                    long s = Math.Max(h.StartNs, w.StartNs), e = Math.Min(h.EndNs, w.EndNs);
                    if (e <= s) continue;
                    covered += e - s;
                    sweep.Holder = h.Tid;
                    var key = (w.Pid, h.Tid, w.Tid);
                    sweep.Matrix[key] = sweep.Matrix.GetValueOrDefault(key) + (e - s);
                    timeline.Visit(h.Tid, s, e, blame);
                }
            }
            long gap = w.DurationNs - covered;
            if (gap > 0) sweep.Handoff += gap;
        }
    }

    /// <summary>Self and inclusive time per frame from the time per stack (each distinct frame of a stack once).</summary>
    static void AddFrameTimes(FunctionTimeline timeline, Sweep sweep)
    {
        var seen = new HashSet<int>();
        foreach (var ((_, stack), ns) in sweep.Holding.Ns)
        {
            if (stack == FunctionTimeline.Root) { sweep.Frame(UnknownFrame).Self += ns; continue; }
            sweep.Frame(timeline.Frame(stack)).Self += ns;
            seen.Clear();
            for (int s = stack; s != FunctionTimeline.Root; s = timeline.Parent(s))
                if (seen.Add(timeline.Frame(s))) sweep.Frame(timeline.Frame(s)).Inclusive += ns;
        }
    }

    static BlameRow Row(FunctionTimeline timeline, int frame, Acc a, long totalWait, Func<int, string> threadName)
    {
        string display, name, file;
        int line;
        if (frame == UnknownFrame) (display, name, file, line) = (UnknownName, UnknownName, "", 0);
        else
        {
            var info = timeline.Trace.Function(frame);
            (display, name, file, line) = (info.Display, info.Name, info.File, info.Line);
        }
        var victims = a.Victims.OrderBy(v => v).ToArray();
        return new BlameRow(display, a.Self, totalWait == 0 ? 0 : 100.0 * a.Self / totalWait, victims,
            name, file, line, victims.Select(threadName).ToArray(), a.Holders.OrderBy(h => h).ToArray(),
            Math.Max(a.Inclusive, a.Self));
    }
}
