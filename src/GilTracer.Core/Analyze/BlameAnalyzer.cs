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

    /// <summary>
    /// minPctOfThreadTime: a function is a row only when the wait it caused is at least this share of all threads'
    /// time (their lives summed). Below it is noise, not blame: a thread's start, a wake-up colliding with another's,
    /// a holder descheduled for a moment on a busy machine; a program whose threads only sleep has no rows.
    /// </summary>
    public BlameResult Finish(FunctionTimeline timeline, Func<int, string> threadName, int maxRows = 200, double minPctOfThreadTime = 1.0)
    {
        var holding = new FoldedStacks();
        var waiting = new FoldedStacks();
        var offGil = new FoldedStacks();
        var perFrame = new Dictionary<int, Acc>();
        var matrix = new Dictionary<(int Pid, int Holder, int Waiter), long>();
        long totalWait = 0, handoff = 0;

        Acc Frame(int f) => perFrame.TryGetValue(f, out var a) ? a : perFrame[f] = new Acc();

        // current holder/waiter for the visitor: one delegate for all pieces, no allocation per piece
        int holder = 0, waiter = 0;
        Action<int, long> blame = (stack, ns) =>
        {
            holding.Add(holder, stack, ns);
            var a = Frame(stack == FunctionTimeline.Root ? UnknownFrame : timeline.Frame(stack));
            a.Victims.Add(waiter);
            a.Holders.Add(holder);
        };
        Action<int, long> wait = (stack, ns) => waiting.Add(waiter, stack, ns);
        Action<int, long> off = (stack, ns) => offGil.Add(waiter, stack, ns);

        var holdsByPid = _holds.GroupBy(h => h.Pid).ToDictionary(g => g.Key, g => g.OrderBy(h => h.StartNs).ToArray());
        var next = new Dictionary<int, int>(); // per pid: first hold that may still overlap a wait
        foreach (var w in _waits.OrderBy(w => w.StartNs))
        {
            totalWait += w.DurationNs;
            waiter = w.Tid;
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
                    holder = h.Tid;
                    var key = (w.Pid, h.Tid, w.Tid);
                    matrix[key] = matrix.GetValueOrDefault(key) + (e - s);
                    timeline.Visit(h.Tid, s, e, blame);
                }
            }
            long gap = w.DurationNs - covered;
            if (gap > 0) handoff += gap;
        }
        foreach (var n in _noGil)
        {
            waiter = n.Tid;
            timeline.Visit(n.Tid, n.StartNs, n.EndNs, off);
        }

        // self and inclusive time per frame from the time per stack (each distinct frame of a stack once)
        var seen = new HashSet<int>();
        foreach (var ((_, stack), ns) in holding.Ns)
        {
            if (stack == FunctionTimeline.Root) { Frame(UnknownFrame).Self += ns; continue; }
            Frame(timeline.Frame(stack)).Self += ns;
            seen.Clear();
            for (int s = stack; s != FunctionTimeline.Root; s = timeline.Parent(s))
                if (seen.Add(timeline.Frame(s))) Frame(timeline.Frame(s)).Inclusive += ns;
        }

        long floor = (long)(_threadNs * minPctOfThreadTime / 100);
        var kept = perFrame.Where(p => p.Value.Self > 0 && p.Value.Self >= floor).OrderByDescending(p => p.Value.Self).Take(maxRows).ToList();
        var below = perFrame.Where(p => p.Value.Self > 0).ExceptBy(kept.Select(k => k.Key), p => p.Key).ToList();
        var rows = new List<BlameRow>();
        foreach (var (f, a) in kept)
        {
            string display, name, file;
            int line;
            if (f == UnknownFrame) (display, name, file, line) = (UnknownName, UnknownName, "", 0);
            else
            {
                var info = timeline.Trace.Function(f);
                (display, name, file, line) = (info.Display, info.Name, info.File, info.Line);
            }
            var victims = a.Victims.OrderBy(v => v).ToArray();
            rows.Add(new BlameRow(display, a.Self, totalWait == 0 ? 0 : 100.0 * a.Self / totalWait, victims,
                name, file, line, victims.Select(threadName).ToArray(), a.Holders.OrderBy(h => h).ToArray(),
                Math.Max(a.Inclusive, a.Self)));
        }
        var edges = matrix.OrderByDescending(m => m.Value)
            .Select(m => new BlockEdge(m.Key.Pid, m.Key.Holder, threadName(m.Key.Holder), m.Key.Waiter, threadName(m.Key.Waiter), m.Value))
            .ToList();
        return new BlameResult
        {
            Rows = rows, Matrix = edges, Holding = holding, Waiting = waiting, OffGil = offGil,
            TotalWaitNs = totalWait, HandoffWaitNs = handoff,
            RowsBelowFloor = below.Count, WaitBelowFloorNs = below.Sum(p => p.Value.Self), FloorNs = floor,
        };
    }
}
