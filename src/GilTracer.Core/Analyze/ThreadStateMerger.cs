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
    public static GilReport Merge(GilReport report, IEnumerable<SchedTrack> tracks, long firstNs, long lastNs,
        IReadOnlyDictionary<int, string>? pythonNames)
    {
        var threads = report.Threads.ToList();
        var byTid = new Dictionary<int, int>();
        for (int i = 0; i < threads.Count; i++) byTid[threads[i].Tid] = i;
        var gilPids = report.Gils.Select(g => g.Pid).ToHashSet();
        foreach (var t in tracks)
        {
            if (byTid.TryGetValue(t.Tid, out int i)) threads[i] = WithStates(threads[i], t);
            else threads.Add(SchedOnly(t, gilPids.Contains(t.Pid), pythonNames));
        }
        return report with
        {
            Threads = threads.OrderBy(t => t.Pid).ThenBy(t => t.StartNs).ThenBy(t => t.Tid).ToList(),
            StartNs = report.StartNs == 0 || firstNs < report.StartNs ? firstNs : report.StartNs,
            EndNs = Math.Max(report.EndNs, lastNs),
        };
    }

    /// <summary>A thread the GIL analyzer knows, over the union of both lives; time outside the sched life was running.</summary>
    static ThreadSummary WithStates(ThreadSummary r, SchedTrack t)
    {
        var ns = (long[])t.Ns.Clone();
        long start = Math.Min(r.StartNs, t.StartNs), end = Math.Max(r.EndNs, t.EndNs);
        ns[(int)SchedState.Running] += (t.StartNs - start) + (end - t.EndNs);
        long gilSleep = ns[(int)SchedState.SleepingGil];
        if (gilSleep > r.WaitNs)
        {
            ns[(int)SchedState.Sleeping] += gilSleep - r.WaitNs;
            ns[(int)SchedState.SleepingGil] = r.WaitNs;
        }
        return r with { StartNs = start, EndNs = end, States = States(ns, end - start) };
    }

    /// <summary>
    /// A thread with sched events only. In a process whose GIL was traced, a thread that never took it had no GIL all
    /// its life; without GIL probes nothing is known, so the GIL columns stay 0.
    /// </summary>
    static ThreadSummary SchedOnly(SchedTrack t, bool gilTraced, IReadOnlyDictionary<int, string>? pythonNames) => new()
    {
        Pid = t.Pid, Tid = t.Tid, IsMain = t.Tid == t.Pid,
        Name = pythonNames is not null && pythonNames.TryGetValue(t.Tid, out var n) ? n : t.Comm ?? "",
        StartNs = t.StartNs, EndNs = t.EndNs, GilTraced = gilTraced,
        States = States(t.Ns, t.EndNs - t.StartNs),
    };

    static ThreadStates States(long[] ns, long total) => new(
        Percent.Of(ns[(int)SchedState.Running], total), Percent.Of(ns[(int)SchedState.Runnable], total),
        Percent.Of(ns[(int)SchedState.Sleeping], total), Percent.Of(ns[(int)SchedState.SleepingGil], total),
        Percent.Of(ns[(int)SchedState.Disk], total));
}
