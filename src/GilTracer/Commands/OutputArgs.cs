using System.CommandLine;
using GilTracer.Core.Pipeline;

namespace GilTracer.Commands;

/// <summary>The output options run, convert and attach share.</summary>
static class OutputArgs
{
    public static readonly Option<string> OutputDir = new("--output", "-o")
    { Description = "Folder for perf.data, trace.json, summary.json and report.html", DefaultValueFactory = _ => "giltracer-out" };
    public static readonly Option<string?> SummaryJson = new("--summary-json") { Description = "Write the summary (per-thread and per-GIL numbers as JSON; the README lists the fields) here instead of OUTPUT/summary.json" };
    public static readonly Option<string?> ChromeTrace = new("--chrome-trace") { Description = "Write the Chrome trace (Perfetto, VizTracer) here instead of OUTPUT/trace.json" };
    public static readonly Option<bool> NoHtml = new("--no-html") { Description = "Do not write the HTML report" };

    public static void AddTo(Command c)
    {
        c.Add(OutputDir);
        c.Add(SummaryJson);
        c.Add(ChromeTrace);
        c.Add(NoHtml);
        c.Add(Console.Cli.Quiet);
        c.Add(Console.Cli.Verbose);
    }

    /// <summary>The report's title is the command line that made it ("giltracer run app.py --fast").</summary>
    public static OutputOptions From(ParseResult p) =>
        new(p.GetValue(OutputDir)!, p.GetValue(SummaryJson), p.GetValue(ChromeTrace), !p.GetValue(NoHtml),
            string.Join(' ', ["giltracer", .. Environment.GetCommandLineArgs().Skip(1).Select(a => a.Contains(' ') ? $"'{a}'" : a)]));
}
