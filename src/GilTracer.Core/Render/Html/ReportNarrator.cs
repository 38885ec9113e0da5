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
        var who = DescribeThreads(report.Threads);
        var where = processes.Count > 1 ? $" in {processes.Count} processes" : "";
        var first = $"{who}{where}, traced for {Duration(report.DurationNs)}";

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
            var s = $"{top.Name} spent {Pct(top.GilWaitPct)} of its life waiting for it";
            var more = waiters.Skip(1).Take(3).Select(t => $"{t.Name} {Pct(t.GilWaitPct)}").ToList();
            if (more.Count > 0) s += "; " + string.Join(", ", more);
            if (waiters.Count > 4) s += $" and {waiters.Count - 4} more threads";
            lines.Add(s + ".");
            // the convoy effect: a thread that mostly runs native code yet waits a lot for the GIL
            var convoy = waiters.FirstOrDefault(t => t.GilWaitPct >= 30 && t.HasGilPct < 15);
            if (convoy is not null)
                lines.Add($"{convoy.Name} holds the GIL only {Pct(convoy.HasGilPct)} of its life but waits {Pct(convoy.GilWaitPct)}: " +
                          "it needs the GIL back after each release and queues behind the threads that hold it (the convoy effect).");
        }

        if (report.Blame.Count > 0)
        {
            var b = report.Blame[0];
            lines.Add($"Most of that waiting ({Pct(b.PctOfAllWait)}) happened while {b.Function} held the GIL.");
        }
        return lines;
    }

    static string DescribeThreads(IReadOnlyList<ThreadSummary> threads)
    {
        var main = threads.FirstOrDefault(t => t.IsMain);
        int others = threads.Count - (main is null ? 0 : 1);
        if (main is null) return threads.Count == 1 ? $"One thread ({threads[0].Name})" : $"{threads.Count} threads";
        if (others == 0) return $"{main.Name} alone";
        return $"{main.Name} and {others} {(others == 1 ? "other thread" : "other threads")}";
    }

    /// <summary>Whole percents, but never rounds 99.8 up to "100 %" nor 0.3 down to "0 %".</summary>
    internal static string Pct(double pct)
    {
        var ci = CultureInfo.InvariantCulture;
        if (pct >= 99.5 && pct < 100) return (Math.Floor(pct * 10) / 10).ToString("0.0", ci) + " %";
        if (pct > 0 && pct < 10) return pct.ToString(pct < 1 ? "0.0#" : "0.#", ci) + " %";
        return pct.ToString("0", ci) + " %";
    }

    internal static string Duration(long ns)
    {
        double s = ns / 1e9;
        if (s >= 1) return s.ToString(s >= 100 ? "0" : "0.0#", CultureInfo.InvariantCulture) + " s";
        double ms = ns / 1e6;
        if (ms >= 1) return ms.ToString(ms >= 100 ? "0" : "0.0#", CultureInfo.InvariantCulture) + " ms";
        return (ns / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + " µs";
    }
}
