using System.CommandLine;
using GilTracer.Core.Model;
using GilTracer.Core.Pipeline;

namespace GilTracer.Commands;

/// <summary>The output options run, convert and attach share.</summary>
static class OutputArgs
{
    public static readonly Option<string?> OutputDir = new("--output", "-o")
    {
        Description = $"Folder for perf.data, trace.json, summary.json and report.html [default: {OutputFolder.DefaultName}, or " +
                      $"{OutputFolder.DefaultName}-2, -3, … when it exists: a recording is never overwritten]",
        HelpName = "dir",
    };
    public static readonly Option<bool> Force = new("--force") { Description = "Write into the -o folder even if it holds an earlier recording (overwriting it)" };
    public static readonly Option<string?> SummaryJson = new("--summary-json") { Description = "Write the summary (per-thread and per-GIL numbers as JSON; the README lists the fields) here instead of OUTPUT/summary.json" };
    public static readonly Option<string?> ChromeTrace = new("--chrome-trace") { Description = "Write the Chrome trace (Perfetto, VizTracer) here instead of OUTPUT/trace.json" };
    public static readonly Option<bool> NoHtml = new("--no-html") { Description = "Do not write the HTML report" };

    public static void AddTo(Command c)
    {
        c.Add(OutputDir);
        c.Add(Force);
        c.Add(SummaryJson);
        c.Add(ChromeTrace);
        c.Add(NoHtml);
        c.Add(Console.Cli.Quiet);
        c.Add(Console.Cli.Verbose);
    }

    /// <summary>The report's title is the command line that made it ("giltracer run app.py --fast").</summary>
    public static OutputOptions From(ParseResult p) =>
        new(Folder(p), p.GetValue(SummaryJson), p.GetValue(ChromeTrace), !p.GetValue(NoHtml),
            string.Join(' ', ["giltracer", .. Environment.GetCommandLineArgs().Skip(1).Select(a => a.Contains(' ') ? $"'{a}'" : a)]));

    /// <summary>-o as given, unless it holds an earlier recording (then --force is needed); without -o, a new folder.</summary>
    static string Folder(ParseResult p)
    {
        if (p.GetValue(OutputDir) is { } given)
        {
            if (!p.GetValue(Force) && OutputFolder.PreviousRecording(given) is { } found)
                throw new GilTracerException($"{given} already holds a recording ({found}): pass --force to overwrite it, or another -o");
            return given;
        }
        var dir = OutputFolder.ClaimNext();
        // A command that fails before writing anything leaves no empty folder behind.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { if (!Directory.EnumerateFileSystemEntries(dir).Any()) Directory.Delete(dir); }
            catch (IOException) { }
        };
        return dir;
    }
}
