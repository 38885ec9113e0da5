using GilTracer.Core.Model;
using GilTracer.Core.Render;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace GilTracer.Console;

/// <summary>
/// The seed's per-thread table, then a line per GIL. Names are untrusted: controls escaped (<see cref="Cli.Text"/>).
/// The table never breaks a word: piped, the console is as wide as the table (<see cref="Cli"/>); on a narrow terminal
/// it gets short headers, then a shortened thread name, then drops the columns that matter least, and says which.
/// </summary>
public static class ReportTable
{
    /// <summary>A column: its header, a short one for narrow terminals, its cells as markup.</summary>
    sealed record Column(string Header, string Short, bool Right, Func<ThreadSummary, string> Cell);

    public static void Write(IAnsiConsole c, GilReport r)
    {
        bool states = r.Threads.Any(t => t.States is not null);
        bool gil = r.Gils.Count > 0 || !states; // a sched-only recording (convert sched) knows nothing of the GIL
        bool multiProcess = r.Threads.Select(t => t.Pid).Distinct().Count() > 1;
        var columns = new List<Column>();
        if (multiProcess) columns.Add(new("pid", "pid", true, t => t.Pid.ToString()));
        columns.Add(new("tid", "tid", true, t => t.IsMain ? $"{t.Tid}*" : t.Tid.ToString()));
        columns.Add(new("thread", "thread", false, t => Cli.Text(t.Name)));
        columns.Add(new("total (ms)", "ms", true, t => (t.TotalNs / 1e6).ToString("F1")));
        if (gil)
        {
            columns.Add(new("no GIL %", "noGIL%", true, t => t.NoGilPct.ToString("F1")));
            columns.Add(new("has GIL %", "GIL%", true, t => Colour(t.HasGilPct, "yellow")));
            columns.Add(new("GIL wait %", "wait%", true, t => Colour(t.GilWaitPct, "red")));
        }
        if (states)
        {
            columns.Add(new("running %", "run%", true, t => State(t, s => s.RunningPct)));
            columns.Add(new("runnable %", "runq%", true, t => State(t, s => s.RunnablePct)));
            columns.Add(new("S %", "S%", true, t => State(t, s => s.SleepingPct)));
            columns.Add(new("S(GIL) %", "S(G)%", true, t => State(t, s => s.SleepingGilPct)));
            columns.Add(new("D %", "D%", true, t => State(t, s => s.DiskPct)));
        }
        string? title = r.Python is { } python ? $"Python {Cli.Text(python.Version)}: {Cli.Text(python.Executable)}" : null;
        var (table, dropped) = Fit(c, r.Threads, columns, title);
        c.Write(table);
        if (dropped.Count > 0)
            c.MarkupLine($"[grey]{string.Join(", ", dropped)} not shown: the terminal is too narrow (piped, the table is whole)[/]");
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

    /// <summary>Columns least needed first: no GIL is the rest of 100 %, then the kernel states, the pid, the total.</summary>
    static readonly string[] DropOrder = ["no GIL %", "D %", "runnable %", "S %", "running %", "S(GIL) %", "pid", "total (ms)"];
    const int MinNameWidth = 8;

    /// <summary>The table as wide as the console allows, without wrapping a cell: full headers if they fit, then short
    /// headers, a shortened thread name (…), and at last fewer columns (returned by header).</summary>
    static (Table Table, List<string> Dropped) Fit(IAnsiConsole c, IReadOnlyList<ThreadSummary> rows, List<Column> columns, string? title)
    {
        int width = c.Profile.Width;
        var shown = columns.ToList();
        var dropped = new List<string>();
        foreach (var drop in DropOrder.Prepend(null))
        {
            if (drop is not null)
            {
                if (shown.FirstOrDefault(x => x.Header == drop) is not { } col) continue;
                shown.Remove(col);
                dropped.Add(col.Short);
            }
            foreach (bool shortHeaders in drop is null ? new[] { false, true } : [true])
            {
                var table = Build(rows, shown, title, shortHeaders, nameWidth: null);
                int natural = NaturalWidth(c, table);
                if (natural <= width) return (table, dropped);
                if (!shortHeaders) continue;
                // the thread name gives up what is missing, down to a few characters
                var names = Build(rows, [shown.Single(x => x.Header == "thread")], null, true, null);
                int nameWidth = NaturalWidth(c, names) - 4 - (natural - width);
                if (nameWidth >= MinNameWidth) return (Build(rows, shown, title, true, nameWidth), dropped);
            }
        }
        return (Build(rows, shown, title, true, MinNameWidth), dropped);
    }

    static Table Build(IReadOnlyList<ThreadSummary> rows, List<Column> columns, string? title, bool shortHeaders, int? nameWidth)
    {
        var table = new Table().Border(System.Console.IsOutputRedirected ? TableBorder.Ascii : TableBorder.Rounded);
        if (title is not null) table.Title(title);
        foreach (var col in columns)
        {
            var tc = new TableColumn(shortHeaders ? col.Short : col.Header) { NoWrap = true };
            if (col.Right) tc.RightAligned();
            if (col.Header == "thread" && nameWidth is { } w) tc.Width(w);
            table.AddColumn(tc);
        }
        foreach (var t in rows)
            table.AddRow(columns.Select(col => col.Header == "thread" && nameWidth is { } w ? Shorten(t.Name, w) : new Markup(col.Cell(t))).ToArray<IRenderable>());
        return table;
    }

    /// <summary>A name cut to <paramref name="width"/> cells with an ellipsis at the end (escaped first: a cut never splits an escape).</summary>
    static IRenderable Shorten(string name, int width) =>
        new Text(Core.Model.DisplayText.Escape(name)) { Overflow = Overflow.Ellipsis };

    /// <summary>The width the table takes when nothing limits it.</summary>
    static int NaturalWidth(IAnsiConsole c, Table table) =>
        ((IRenderable)table).Measure(RenderOptions.Create(c, c.Profile.Capabilities), 1 << 14).Max;

    static string State(ThreadSummary t, Func<ThreadStates, double> pct) => t.States is { } s ? pct(s).ToString("F1") : "";

    static string Colour(double pct, string colour) => pct >= 20 ? $"[{colour}]{pct:F1}[/]" : pct.ToString("F1");

    static string Ms(long ns) => DurationText.Fixed(ns, msDecimals: 2);
}
