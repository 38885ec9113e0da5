using GilTracer.Core.Model;
using GilTracer.Core.Render;
using Spectre.Console;

namespace GilTracer.Console;

/// <summary>--functions: the top of the blame ranking, who blocks whom, and what the tracer cost. Names are untrusted: escaped.</summary>
public static class BlameTable
{
    public static void Write(IAnsiConsole c, GilReport r, int rows = 10)
    {
        if (r.FunctionTracing is not { } f) return;
        long allWait = r.Threads.Sum(t => t.WaitNs);
        if (r.Blame.Count == 0)
            c.MarkupLine(allWait == 0 ? "[green]No thread waited for the GIL: nothing to blame.[/]"
                : $"[green]No function made threads wait for the GIL more than {Ms(f.FloorNs)} (1 % of all threads' time): nothing to blame.[/]");
        else
        {
            var table = new Table().Border(System.Console.IsOutputRedirected ? TableBorder.Ascii : TableBorder.Rounded)
                .Title($"Who held the GIL while others waited ({Ms(allWait)} of wait in all)");
            table.AddColumn("function (running on the holder)");
            table.AddColumn(new TableColumn("caused wait").RightAligned());
            table.AddColumn(new TableColumn("% of all wait").RightAligned());
            table.AddColumn("made wait");
            foreach (var b in r.Blame.Take(rows))
                table.AddRow(Cli.Text(b.Function), Ms(b.CausedWaitNs), b.PctOfAllWait.ToString("F1"),
                    Cli.Text(string.Join(", ", b.VictimNames ?? b.VictimTids.Select(v => v.ToString()).ToArray())));
            c.Write(table);
            foreach (var e in r.BlockMatrix.Take(rows))
                c.MarkupLine($"  {Cli.Text(e.HolderName)} ({e.HolderTid}) blocked {Cli.Text(e.WaiterName)} ({e.WaiterTid}) for {Ms(e.WaitNs)}");
        }
        if (allWait > 0)
            c.MarkupLine($"[grey]{Ms(f.HandoffWaitNs)} of the wait had no holder (GIL being handed over); {f.RowsBelowFloor} functions caused " +
                         $"{Ms(f.WaitBelowFloorNs)} in all, each under {Ms(f.FloorNs)}[/]");
        c.MarkupLine($"[grey]function tracer ({Cli.Text(f.Mode)}, Python {Cli.Text(f.PythonVersion)}): {f.Records} records, " +
                     $"about {Ms(f.EstOverheadNs)} added to the program ({f.EstNsPerEvent:F0} ns per event)[/]");
    }

    static string Ms(long ns) => DurationText.Fixed(ns, msDecimals: 1);
}
