using System.CommandLine;
using GilTracer.Console;
using GilTracer.Core.Doctor;
using GilTracer.Core.Locate;
using Spectre.Console;

namespace GilTracer.Commands;

/// <summary>`giltracer doctor [--python PATH]`: what works here, what does not, and the command that fixes each problem.</summary>
static class DoctorCommand
{
    static readonly Option<string?> Python = new("--python")
    { Description = $"Python interpreter to check, the one run would trace: {PythonChooser.Order}", HelpName = "path" };

    public static Command Create()
    {
        var c = new Command("doctor", "Check perf, root, tracefs, uprobes, sched tracepoints and the Python: where its GIL code is and whether the probes fire");
        c.Add(Python);
        LocateArgs.AddTo(c);
        c.Add(Cli.Verbose);
        c.SetAction(p => Cli.Guard(p, () =>
        {
            var report = SystemDoctor.Examine(PythonChooser.Choose(p.GetValue(Python)), LocateArgs.From(p));
            Print(report, p.GetValue(Cli.Verbose));
            return report.AllOk ? 0 : 1;
        }));
        return c;
    }

    static void Print(DoctorReport report, bool verbose)
    {
        var o = Cli.Out;
        foreach (var c in report.Checks)
        {
            o.MarkupLine($"{(c.Ok ? "[green]ok[/]  " : "[red]FAIL[/]")} {Cli.Text(c.Name),-20} {Cli.Text(c.Detail)}");
            if (c.Fix is not null) o.MarkupLine($"      [yellow]fix:[/] {Cli.Text(c.Fix)}");
        }
        if (report.Python is { } t)
        {
            o.MarkupLine($"probe sites in {Cli.Text(t.GilBinary)} ({Cli.Text(t.Method)}):");
            foreach (var s in t.Sites)
                o.MarkupLine($"      {s.Kind,-15} file offset 0x{s.FileOffset:x}  {Cli.Text(s.Description)}");
            foreach (var n in t.Notes) o.MarkupLine($"      [grey]{Cli.Text(n)}[/]");
        }
        o.MarkupLine(report.AllOk ? "[green]giltracer run should work here.[/]" : "[red]fix the problems above, then run giltracer doctor again.[/]");
    }
}
