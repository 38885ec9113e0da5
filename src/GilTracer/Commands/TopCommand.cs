using System.CommandLine;
using System.CommandLine.Parsing;
using GilTracer.Console;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using GilTracer.Core.Pipeline;
using GilTracer.Core.Render;
using Spectre.Console;

namespace GilTracer.Commands;

/// <summary>`giltracer top PID` | `giltracer top [options] -- COMMAND…`: the GIL of a running program, live.</summary>
static class TopCommand
{
    static readonly Option<double> Interval = new("--interval", "-n")
    { Description = "Seconds between refreshes (one block per interval when the output is not a terminal)", HelpName = "seconds", DefaultValueFactory = _ => 1.0 };
    static readonly Option<double?> Duration = new("--duration", "-d")
    { Description = "Stop after this many seconds (default: until q, Ctrl-C or the program's end)", HelpName = "seconds" };
    static readonly Option<string?> Names = new("--names")
    { Description = "Python thread names: a file of JSON lines [pid, native_id, name], followed as it grows (the IPython extension writes it)", HelpName = "file" };
    static readonly Option<string?> Metrics = new("--metrics")
    { Description = "Serve Prometheus metrics at http://HOST:PORT/metrics (OpenMetrics when the scraper asks for it): per-thread wait, hold and life counters, per-GIL held time, acquisitions and a wait histogram (HOST: 127.0.0.1 unless given)", HelpName = "[host:]port" };
    static readonly Option<string?> Python = new("--python")
    { Description = $"For top -- script.py: the Python that runs it. Which one: {PythonChooser.Order}", HelpName = "path" };
    static readonly Option<bool> Plain = new("--plain")
    { Description = "Print one plain block per interval even on a terminal (the default when the output is not one)" };
    static readonly Argument<string[]> Target = new("pid-or-command")
    {
        Description = "The process id of a running CPython, or -- and the program to start: python3 app.py, python3 -m module, python3 -c code, app.py, " +
                      "or a command that execs CPython in the process it starts (uvicorn app:app, pytest -x, env FOO=1 python3 app.py, chroot ROOT python3 app.py); " +
                      "a command that starts Python in a child (a shell script, sh -c …): giltracer run -- COMMAND, or top PID once it runs",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public static Command Create()
    {
        var c = new Command("top", "Watch the GIL of a running Python live: per thread wait, hold and no-GIL shares over the last interval and the last 1, 5 and 15 minutes; optionally served as OpenMetrics");
        c.Add(Interval);
        c.Add(Duration);
        c.Add(Names);
        c.Add(Metrics);
        c.Add(Python);
        c.Add(Plain);
        c.Add(RecordArgs.MmapPages);
        c.Add(LocateArgs.DebugDir);
        c.Add(LocateArgs.GilMethod);
        c.Add(Cli.Quiet);
        c.Add(Cli.Verbose);
        c.Add(Target);
        c.SetAction(p => Cli.Guard(p, () => Run(p)));
        return c;
    }

    static TopOptions Options(ParseResult p)
    {
        var target = p.GetValue(Target) ?? [];
        bool command = p.Tokens.Any(t => t.Type == TokenType.DoubleDash);
        var o = new TopOptions
        {
            IntervalSeconds = p.GetValue(Interval), DurationSeconds = p.GetValue(Duration), NamesFile = p.GetValue(Names),
            Metrics = p.GetValue(Metrics) is { } m ? MetricsEndpoint.Parse(m) : null, MmapPages = p.GetValue(RecordArgs.MmapPages),
            Locate = LocateArgs.SearchFrom(p),
        };
        if (command) return o with { Program = TopProgram.Parse(target, () => PythonChooser.Choose(p.GetValue(Python))) };
        if (target.Length != 1 || !int.TryParse(target[0], out int pid))
            throw new GilTracerException("top: give one PID, or a program after -- (top -- python3 app.py)", 2);
        return o with { Pid = pid };
    }

    static int Run(ParseResult p)
    {
        var o = Options(p);
        bool quiet = p.GetValue(Cli.Quiet);
        bool live = !quiet && !p.GetValue(Plain) && !System.Console.IsOutputRedirected && Cli.Out.Profile.Capabilities.Interactive;
        TopResult result;
        int pid = o.Pid ?? 0;
        if (live)
        {
            var view = new TopView(Cli.Out);
            var events = Cli.Events(p);
            result = view.Run(v => TopPipeline.Run(o, new TopHooks
            {
                Frame = f => v.Frame(f, pid),
                StopRequested = () => v.QuitRequested,
                Started = started => pid = started,
                Note = v.Note,
            }, new PipelineEvents { Status = v.Status, Verbose = events.Verbose, Warning = v.Warnings.Add }));
            foreach (var w in view.Warnings) Cli.Warn(w);
        }
        else
        {
            var stdout = System.Console.Out;
            result = TopPipeline.Run(o, new TopHooks
            {
                Frame = quiet ? null : f =>
                {
                    stdout.Write(TopText.Block(f, pid, TopSort.Wait));
                    stdout.Flush();
                },
                Started = started => pid = started,
                Note = quiet ? null : n => Cli.Err.WriteLine($"giltracer: {n}"),
            }, Cli.Events(p));
        }
        if (!quiet) PrintSession(result, o.Program is not null);
        return result.ExitCode;
    }

    /// <summary>After the last frame: why it ended, and the table of the whole session.</summary>
    static void PrintSession(TopResult result, bool started)
    {
        if (result.TargetExited && !started) Cli.Out.WriteLine($"process {result.Pid} exited; the whole session:");
        else Cli.Out.WriteLine("the whole session:");
        var report = result.Report; // the table escapes names itself
        if (report.Threads.Count > 0) ReportTable.Write(Cli.Out, report);
        foreach (var w in report.Warnings) Cli.Warn(w);
    }
}
