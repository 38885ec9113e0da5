using GilTracer.Core.Model;

namespace GilTracer.Core.Analyze;

/// <summary>
/// Puts the sched states into the GIL report. One life per thread, so that both sets of percentages share a
/// denominator: the union of the GIL life and the sched life (in practice the sched one, which runs from fork to
/// exit). GIL percentages are recomputed over it (the extra time is "no GIL"); time the GIL saw outside the sched
/// life is running (a probe fires only on a running thread). S(GIL) is capped at the thread's GIL wait: a sleep
/// inside take_gil cannot outlast the wait, so any excess is clipping at the recording's edges.
/// </summary>
static class ThreadStateMerger
{
    public static void Merge(GilReport report, IEnumerable<SchedTrack> tracks, long firstNs, long lastNs,
        IReadOnlyDictionary<int, string>? pythonNames)
    {
        var byTid = new Dictionary<int, int>();
        for (int i = 0; i < report.Threads.Count; i++) byTid[report.Threads[i].Tid] = i;
        var gilPids = report.Gils.Select(g => g.Pid).ToHashSet();
        foreach (var t in tracks)
        {
            var ns = (long[])t.Ns.Clone();
            if (byTid.TryGetValue(t.Tid, out int i))
            {
                var r = report.Threads[i];
                long start = Math.Min(r.StartNs, t.StartNs), end = Math.Max(r.EndNs, t.EndNs);
                ns[(int)SchedState.Running] += (t.StartNs - start) + (end - t.EndNs);
                long gilSleep = ns[(int)SchedState.SleepingGil];
                if (gilSleep > r.WaitNs)
                {
                    ns[(int)SchedState.Sleeping] += gilSleep - r.WaitNs;
                    ns[(int)SchedState.SleepingGil] = r.WaitNs;
                }
                long total = end - start;
                double has = Pct(r.HoldNs, total), wait = Pct(r.WaitNs, total);
                report.Threads[i] = r with
                {
                    StartNs = start, EndNs = end, NoGilNs = Math.Max(0, total - r.HoldNs - r.WaitNs),
                    NoGilPct = total <= 0 ? 0 : 100.0 - has - wait, HasGilPct = has, GilWaitPct = wait,
                    States = States(ns, total),
                };
            }
            else
            {
                long total = t.EndNs - t.StartNs;
                string name = pythonNames is not null && pythonNames.TryGetValue(t.Tid, out var n) ? n : t.Comm ?? "";
                // In a process whose GIL was traced, a thread that never took it had no GIL all its life; without
                // GIL probes nothing is known, so the GIL columns stay 0.
                bool traced = gilPids.Contains(t.Pid);
                report.Threads.Add(new ThreadSummary(t.Pid, t.Tid, name, t.Tid == t.Pid, t.StartNs, t.EndNs,
                    traced ? total : 0, 0, 0, traced ? 100 : 0, 0, 0, 0, States(ns, total)));
            }
        }
        var ordered = report.Threads.OrderBy(t => t.Pid).ThenBy(t => t.StartNs).ThenBy(t => t.Tid).ToList();
        report.Threads.Clear();
        report.Threads.AddRange(ordered);
        if (report.StartNs == 0 || firstNs < report.StartNs) report.StartNs = firstNs;
        if (lastNs > report.EndNs) report.EndNs = lastNs;
    }

    static ThreadStates States(long[] ns, long total) => new(
        Pct(ns[(int)SchedState.Running], total), Pct(ns[(int)SchedState.Runnable], total),
        Pct(ns[(int)SchedState.Sleeping], total), Pct(ns[(int)SchedState.SleepingGil], total),
        Pct(ns[(int)SchedState.Disk], total));

    static double Pct(long part, long whole) => whole <= 0 ? 0 : 100.0 * part / whole;
}
