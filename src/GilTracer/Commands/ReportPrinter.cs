using System.CommandLine;
using GilTracer.Console;
using GilTracer.Core.Model;
using GilTracer.Core.Pipeline;
using Spectre.Console;

namespace GilTracer.Commands;

/// <summary>What run, convert and attach print when done: the table, warnings, where the files are.</summary>
static class ReportPrinter
{
    public static void Print(ParseResult p, GilReport report, OutputOptions outputs)
    {
        if (p.GetValue(Cli.Quiet)) return;
        if (report.Threads.Count > 0) ReportTable.Write(Cli.Out, report);
        BlameTable.Write(Cli.Out, report);
        foreach (var w in report.Warnings) Cli.Warn(w);
        var files = new List<string> { outputs.ChromeTracePath, outputs.SummaryPath };
        if (File.Exists(outputs.SchedDataPath)) files.Insert(0, outputs.SchedDataPath);
        if (Directory.Exists(outputs.OutputDir) && Directory.GetFiles(outputs.OutputDir, "perf-*.data").Length is > 0 and var more)
            files.Insert(0, $"{Path.Combine(outputs.OutputDir, "perf-*.data")} ({more})"); // run -- COMMAND: Pythons found at their exec
        if (File.Exists(outputs.PerfDataPath)) files.Insert(0, outputs.PerfDataPath);
        if (outputs.Html && File.Exists(outputs.HtmlPath)) files.Add(outputs.HtmlPath);
        if (report.FunctionTracing is not null) files.Add(Path.Combine(outputs.OutputDir, "flame-*.folded|svg"));
        Cli.Err.MarkupLine($"[grey]wrote {Cli.Text(string.Join(", ", files))}[/]");
    }
}
