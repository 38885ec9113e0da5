using System.Globalization;
using GilTracer.Core.Model;

namespace GilTracer.Core.Render.Html;

/// <summary>
/// The report's first lines in plain words: who ran, how busy the GIL was, who waited most.
/// E.g. "MainThread and 2 workers in 2.0 s; the GIL was held 99 % of the time; worker-1 spent 48 % of its life waiting for it".
/// </summary>
public static class ReportNarrator
{
    /// <summary>A thread must wait at least this share of its life to be named as a waiter.</summary>
    const double NotableWaitPct = 5.0;

    public static IReadOnlyList<string> Describe(GilReport report)
    {
        var lines = new List<string>();
        if (report.Threads.Count == 0)
        {
            lines.Add("No thread touched the GIL in this recording.");
            return lines;
        }

        var processes = report.Threads.Select(t => t.Pid).Distinct().ToList();
        // without Python's names every thread may be "python3": then the tid tells them apart
        var dup = report.Threads.GroupBy(t => t.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        string Name(ThreadSummary t) => dup.Contains(t.Name) ? $"{t.Name} (tid {t.Tid})" : t.Name;
        var who = DescribeThreads(report.Threads, Name);
        var where = processes.Count > 1 ? $" in {processes.Count} processes" : "";
        var first = $"{who}{where}, traced for {DurationText.Rounded(report.DurationNs)}";

        if (report.Gils.Count == 1)
            first += $"; the GIL was held {Pct(report.Gils[0].HeldPct)} of the time";
        else if (report.Gils.Count > 1)
            first += "; " + string.Join(", ", report.Gils.Select(g => $"the GIL of process {g.Pid} was held {Pct(g.HeldPct)}")) + " of the time";
        lines.Add(first + ".");

        var waiters = report.Threads.Where(t => t.GilWaitPct >= NotableWaitPct)
            .OrderByDescending(t => t.GilWaitPct).ToList();
        if (waiters.Count == 0)
            lines.Add($"No thread waited for the GIL for {Pct(NotableWaitPct)} of its life or more.");
        else
        {
            var top = waiters[0];
            var s = $"{Name(top)} spent {Pct(top.GilWaitPct)} of its life waiting for it";
            var more = waiters.Skip(1).Take(3).Select(t => $"{Name(t)} {Pct(t.GilWaitPct)}").ToList();
            if (more.Count > 0) s += "; " + string.Join(", ", more);
            if (waiters.Count > 4) s += $" and {waiters.Count - 4} more threads";
            lines.Add(s + ".");
            // the convoy effect: a thread that spends much of its life off the GIL (I/O, native code) and hardly
            // holds it, yet waits a lot, because every release costs it a place at the back of the queue
            var convoy = waiters.FirstOrDefault(t => t.GilWaitPct >= 20 && t.HasGilPct < 10 && t.NoGilPct >= 30);
            if (convoy is not null)
                lines.Add($"{Name(convoy)} holds the GIL only {Pct(convoy.HasGilPct)} of its life but waits {Pct(convoy.GilWaitPct)}: " +
                          "each time it lets the GIL go (for I/O or native code) it must queue behind the threads that hold it to get it back (the convoy effect).");
        }

        if (report.Blame.Count > 0)
        {
            var b = report.Blame[0];
            var share = b.PctOfAllWait >= 50 ? "Most of the waiting" : "The largest share of the waiting";
            lines.Add($"{share} ({Pct(b.PctOfAllWait)}) happened while {b.Function} held the GIL.");
        }
        return lines;
    }

    static string DescribeThreads(IReadOnlyList<ThreadSummary> threads, Func<ThreadSummary, string> name)
    {
        var main = threads.FirstOrDefault(t => t.IsMain);
        int others = threads.Count - (main is null ? 0 : 1);
        if (main is null) return threads.Count == 1 ? $"One thread ({name(threads[0])})" : $"{threads.Count} threads";
        if (others == 0) return $"{name(main)} alone";
        return $"{name(main)} and {others} {(others == 1 ? "other thread" : "other threads")}";
    }

    /// <summary>Whole percents, but never rounds 99.8 up to "100 %" nor 0.3 down to "0 %".</summary>
    internal static string Pct(double pct)
    {
        var ci = CultureInfo.InvariantCulture;
        if (pct >= 99.5 && pct < 100) return (Math.Floor(pct * 10) / 10).ToString("0.0", ci) + " %";
        if (pct > 0 && pct < 10) return pct.ToString(pct < 1 ? "0.0#" : "0.#", ci) + " %";
        return pct.ToString("0", ci) + " %";
    }
}
