using GilTracer.Core.Model;
using GilTracer.Core.Render;
using Spectre.Console;

namespace GilTracer.Console;

/// <summary>The seed's per-thread table, then a line per GIL. Names are untrusted: escaped for Spectre markup.</summary>
public static class ReportTable
{
    public static void Write(IAnsiConsole c, GilReport r)
    {
        bool states = r.Threads.Any(t => t.States is not null);
        bool gil = r.Gils.Count > 0 || !states; // a sched-only recording (convert sched) knows nothing of the GIL
        bool multiProcess = r.Threads.Select(t => t.Pid).Distinct().Count() > 1;
        var table = new Table().Border(System.Console.IsOutputRedirected ? TableBorder.Ascii : TableBorder.Rounded);
        if (r.Python is { } python) table.Title($"Python {python.Version}: {Markup.Escape(python.Executable)}");
        if (multiProcess) table.AddColumn(new TableColumn("pid").RightAligned());
        table.AddColumn(new TableColumn("tid").RightAligned());
        table.AddColumn("thread");
        table.AddColumn(new TableColumn("total (ms)").RightAligned());
        if (gil)
        {
            table.AddColumn(new TableColumn("no GIL %").RightAligned());
            table.AddColumn(new TableColumn("has GIL %").RightAligned());
            table.AddColumn(new TableColumn("GIL wait %").RightAligned());
        }
        if (states)
            foreach (var h in new[] { "running %", "runnable %", "S %", "S(GIL) %", "D %" })
                table.AddColumn(new TableColumn(h).RightAligned());

        foreach (var t in r.Threads)
        {
            var row = new List<string>();
            if (multiProcess) row.Add(t.Pid.ToString());
            row.Add(t.IsMain ? $"{t.Tid}*" : t.Tid.ToString());
            row.Add(Markup.Escape(t.Name));
            row.Add((t.TotalNs / 1e6).ToString("F1"));
            if (gil)
            {
                row.Add(t.NoGilPct.ToString("F1"));
                row.Add(Colour(t.HasGilPct, "yellow"));
                row.Add(Colour(t.GilWaitPct, "red"));
            }
            if (states)
            {
                var s = t.States;
                foreach (var v in s is null ? new double[5] : [s.RunningPct, s.RunnablePct, s.SleepingPct, s.SleepingGilPct, s.DiskPct])
                    row.Add(s is null ? "" : v.ToString("F1"));
            }
            table.AddRow(row.ToArray());
        }
        c.Write(table);
        c.MarkupLine(gil
            ? "[grey]* main thread. High 'no GIL' is good, 'has GIL' means running Python, 'GIL wait' is time lost waiting.[/]"
            : "[grey]* main thread.[/]");
        if (states)
            c.MarkupLine("[grey]States: running on a CPU, runnable (waiting for a CPU), S sleeping, S(GIL) sleeping blocked by the GIL (in take_gil or a forced drop_gil), D disk (uninterruptible).[/]");
        foreach (var g in r.Gils)
        {
            c.MarkupLine($"GIL of pid {g.Pid}: held [bold]{g.HeldPct:F1} %[/] of the time, {g.Acquisitions} acquisitions, {g.Switches} switches; " +
                         $"wait per acquisition p50 {Ms(g.WaitP50Ns)}, p99 {Ms(g.WaitP99Ns)}, max {Ms(g.WaitMaxNs)}; longest hold {Ms(g.LongestHoldNs)}" +
                         (g.OverlapViolations > 0 ? $"; [red]{g.OverlapViolations} overlapping holds[/]" : ""));
        }
        if (r.LostEvents > 0)
            c.MarkupLine($"[red]perf lost {r.LostEvents} events[/]: raise --mmap-pages (now the numbers near the gaps are uncertain)");
    }

    static string Colour(double pct, string colour) => pct >= 20 ? $"[{colour}]{pct:F1}[/]" : pct.ToString("F1");

    static string Ms(long ns) => DurationText.Fixed(ns, msDecimals: 2);
}
