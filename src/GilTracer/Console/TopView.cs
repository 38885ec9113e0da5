using GilTracer.Core.Model;
using GilTracer.Core.Pipeline;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace GilTracer.Console;

/// <summary>
/// top on a terminal: a Spectre.Console live display, redrawn after every interval, with the same cells as the plain
/// blocks (<see cref="TopText"/>). Keys: w, h, n, a, t sort by wait, hold, no GIL, acquisitions/s, tid; q quits.
/// Messages of the steps before the first frame show in its place; warnings wait until the display is gone.
/// </summary>
public sealed class TopView
{
    readonly IAnsiConsole _console;
    readonly object _lock = new();
    volatile bool _quit;
    TopSort _sort = TopSort.Wait;
    LiveFrame? _last;
    int _pid;
    LiveDisplayContext? _context;
    string _status = "starting";

    public TopView(IAnsiConsole console) => _console = console;

    public bool QuitRequested => _quit;
    public List<string> Warnings { get; } = new();

    /// <summary>Runs work (the pipeline) inside the live display; keys are read meanwhile when standard input is a terminal.</summary>
    public T Run<T>(Func<TopView, T> work)
    {
        T result = default!;
        using var keys = new CancellationTokenSource();
        if (!System.Console.IsInputRedirected) _ = Task.Run(() => ReadKeys(keys.Token));
        _console.Live(Render()).AutoClear(false).Overflow(VerticalOverflow.Ellipsis).Start(ctx =>
        {
            lock (_lock) _context = ctx;
            try { result = work(this); }
            finally
            {
                lock (_lock) _context = null;
                keys.Cancel();
            }
        });
        return result;
    }

    readonly List<string> _notes = new();

    /// <summary>A line shown under the table for the whole session (where the metrics are served).</summary>
    public void Note(string message)
    {
        lock (_lock) _notes.Add(message);
        Redraw();
    }

    public void Status(string message)
    {
        lock (_lock) _status = message;
        Redraw();
    }

    public void Frame(LiveFrame frame, int pid)
    {
        lock (_lock) { _last = frame; _pid = pid; }
        Redraw();
    }

    void Redraw()
    {
        lock (_lock)
        {
            if (_context is null) return;
            _context.UpdateTarget(Render());
            _context.Refresh();
        }
    }

    IRenderable Render()
    {
        if (_last is not { } f) return new Markup($"[grey]giltracer: {Cli.Text(_status)}…[/]");
        bool multi = f.Threads.Select(t => t.Pid).Distinct().Count() > 1;
        var table = new Table().Border(TableBorder.Simple).Expand();
        foreach (var (column, i) in TopText.Columns.Select((c, i) => (c, i)))
            table.AddColumn(i == 1 ? new TableColumn(column).NoWrap() : new TableColumn(column).RightAligned().NoWrap());
        foreach (var r in TopText.Sorted(f.Threads, _sort))
        {
            var cells = TopText.Cells(r, multi).Select(Markup.Escape).ToArray();
            cells[2] = Colour(r.Interval.WaitPct, cells[2], "red");
            cells[6] = Colour(r.Interval.HoldPct, cells[6], "yellow");
            table.AddRow(cells);
        }
        var lines = new List<IRenderable> { new Markup($"[bold]{Cli.Text(TopText.Header(f, _pid))}[/]") };
        lines.AddRange(f.Gils.Select(g => new Markup(Cli.Text(TopText.GilLine(g)))));
        lines.Add(table);
        lines.AddRange(_notes.Select(n => new Markup($"[grey]{Cli.Text(n)}[/]")));
        lines.Add(new Markup($"[grey]sorted by {_sort.ToString().ToLowerInvariant()} · keys: w h n a t sort · q quit · * main thread · 1m 5m 15m: the last minutes (as much as watched)[/]"));
        return new Rows(lines);
    }

    static string Colour(double pct, string cell, string colour) => pct >= 20 ? $"[{colour}]{cell}[/]" : cell;

    void ReadKeys(CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (!System.Console.KeyAvailable) { Thread.Sleep(50); continue; }
                var key = System.Console.ReadKey(intercept: true);
                TopSort? sort = char.ToLowerInvariant(key.KeyChar) switch
                {
                    'w' => TopSort.Wait, 'h' => TopSort.Hold, 'n' => TopSort.NoGil, 'a' => TopSort.Acquisitions, 't' => TopSort.Tid,
                    _ => null,
                };
                if (char.ToLowerInvariant(key.KeyChar) == 'q') { _quit = true; Status("stopping"); }
                else if (sort is { } s) { lock (_lock) _sort = s; Redraw(); }
            }
        }
        catch (InvalidOperationException) { } // no console to read keys from
    }
}
