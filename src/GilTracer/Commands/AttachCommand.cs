using System.CommandLine;
using GilTracer.Console;
using GilTracer.Core.Pipeline;

namespace GilTracer.Commands;

/// <summary>`giltracer attach PID [--duration S]`: trace a running Python process until Ctrl-C, the duration, or its exit.</summary>
static class AttachCommand
{
    static readonly Argument<int> Pid = new("pid") { Description = "Process id of a running CPython 3.8+ (shared libpython or static build)" };
    static readonly Option<double?> Duration = new("--duration", "-d")
    { Description = "Stop after this many seconds (default: until Ctrl-C or the process exits)", HelpName = "seconds" };
    static readonly Option<string?> Names = new("--names")
    { Description = "Python thread names: a file of JSON lines [pid, native_id, name] (the IPython extension writes it)", HelpName = "file" };
    static readonly Option<string?> ReadyFile = new("--ready-file")
    { Description = "Create this file once the probes are live and perf records (for scripts that start work then)", HelpName = "file" };

    public static Command Create()
    {
        var c = new Command("attach", "Trace the GIL of a running Python process: probe its libpython, record it with perf, print the per-thread table and write the outputs");
        c.Add(Pid);
        c.Add(Duration);
        c.Add(RecordArgs.MmapPages);
        c.Add(Names);
        c.Add(ReadyFile);
        c.Add(RecordArgs.State);
        c.Add(LocateArgs.DebugDir);
        c.Add(LocateArgs.GilMethod);
        OutputArgs.AddTo(c);
        c.SetAction(p => Cli.Guard(p, () =>
        {
            var outputs = OutputArgs.From(p);
            var result = AttachPipeline.Attach(new AttachOptions(p.GetValue(Pid), outputs, p.GetValue(Duration), p.GetValue(RecordArgs.MmapPages),
                p.GetValue(Names), p.GetValue(ReadyFile), p.GetValue(RecordArgs.State), LocateArgs.SearchFrom(p)), Cli.Events(p));
            ReportPrinter.Print(p, result.Report, outputs);
            return 0;
        }));
        return c;
    }
}
