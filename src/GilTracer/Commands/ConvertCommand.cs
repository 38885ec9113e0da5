using System.CommandLine;
using GilTracer.Console;
using GilTracer.Core.Pipeline;

namespace GilTracer.Commands;

/// <summary>`giltracer convert gil|sched|auto INPUT`: per4m's perf2trace, from perf script text, stdin or perf.data.</summary>
static class ConvertCommand
{
    static readonly Argument<ConvertMode> Mode = new("mode")
    {
        Description = "gil: take_gil/drop_gil probes; sched: kernel thread states; auto: whatever the input holds",
        HelpName = "gil|sched|auto",
        CustomParser = ParseMode,
    };
    static readonly Argument<string> Input = new("input") { Description = "`perf script --ns` text, - for standard input, or a perf.data file" };
    static readonly Option<int[]> Pid = new("--pid")
    { Description = "Keep only this process and its descendants (system-wide recordings; repeatable)", AllowMultipleArgumentsPerToken = false };

    static readonly Option<string?> Functions = new("--functions")
    { Description = "Join a function trace (the functions/ folder that run --functions wrote) for blame and flame graphs", HelpName = "dir" };

    /// <summary>The modes by their lowercase names, as the README and help write them.</summary>
    static ConvertMode ParseMode(System.CommandLine.Parsing.ArgumentResult r)
    {
        var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
        foreach (var mode in Enum.GetValues<ConvertMode>())
            if (string.Equals(text, mode.ToString(), StringComparison.OrdinalIgnoreCase)) return mode;
        r.AddError($"unknown mode '{text}': the mode is gil, sched or auto");
        return default;
    }

    public static Command Create()
    {
        var c = new Command("convert", "Analyze an existing recording: the same table, trace, summary and report as run");
        c.Add(Mode);
        c.Add(Input);
        c.Add(Functions);
        c.Add(Pid);
        OutputArgs.AddTo(c);
        c.SetAction(p => Cli.Guard(p, () =>
        {
            var outputs = OutputArgs.From(p);
            var report = ConvertPipeline.Convert(p.GetValue(Input)!, p.GetValue(Mode), outputs, Cli.Events(p),
                functionsDir: p.GetValue(Functions), pids: p.GetValue(Pid));
            ReportPrinter.Print(p, report, outputs);
            return 0;
        }));
        return c;
    }
}
