using System.CommandLine;
using GilTracer.Core.Model;
using Spectre.Console;

namespace GilTracer.Console;

/// <summary>Options every command shares, and the one place that turns failures into "giltracer: error: …".</summary>
public static class Cli
{
    public static readonly Option<bool> Quiet = new("--quiet", "-q") { Description = "Print nothing but errors (files are still written)" };
    public static readonly Option<bool> Verbose = new("--verbose", "-v") { Description = "Print what is done: commands, probe sites, timings" };

    public static IAnsiConsole Out { get; set; } = Unwrapped(AnsiConsole.Console, System.Console.IsOutputRedirected);
    public static IAnsiConsole Err { get; set; } = Unwrapped(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) }),
        System.Console.IsErrorRedirected);

    /// <summary>Wider than any line we print: "do not wrap".</summary>
    public const int NoWrapWidth = 1 << 14;

    /// <summary>
    /// Piped or redirected, a console has no width: Spectre would assume 80 columns and wrap the table's words and numbers.
    /// There, lines are as long as they are (COLUMNS, when set, is honoured); a terminal keeps its width.
    /// </summary>
    static IAnsiConsole Unwrapped(IAnsiConsole console, bool redirected)
    {
        if (redirected)
            console.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out int columns) && columns > 0 ? columns : NoWrapWidth;
        return console;
    }

    // Messages may quote thread names and paths of the traced program: shown escaped (DisplayText), never interpreted.
    public static void Error(string message) => System.Console.Error.WriteLine($"giltracer: error: {DisplayText.Escape(message)}");
    public static void Warn(string message) => Err.MarkupLine($"[yellow]giltracer: warning:[/] {Text(message)}");

    /// <summary>Untrusted text for a Spectre markup string: controls escaped, then markup escaped.</summary>
    public static string Text(string s) => Markup.Escape(DisplayText.Escape(s));

    /// <summary>Runs a command body: user errors become one line and exit 1 (or their own code), never a stack trace.</summary>
    public static int Guard(ParseResult parse, Func<int> body)
    {
        try
        {
            var code = body();
            if (parse.GetValue(Verbose)) Steps.Finish(VerboseLine);
            return code;
        }
        catch (GilTracerException e)
        {
            if (e.Report is { } report && !parse.GetValue(Quiet))
            {
                // the outputs failed, not the analysis: its numbers are shown before the error
                if (report.Threads.Count > 0) ReportTable.Write(Out, report);
                BlameTable.Write(Out, report);
            }
            Error(e.Message);
            return e.ExitCode;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            Error(e.Message);
            return 1;
        }
        catch (Exception e)
        {
            Error($"internal error: {e.Message} (please report it; --verbose shows where)");
            if (parse.GetValue(Verbose)) System.Console.Error.WriteLine(e);
            return 1;
        }
    }

    /// <summary>Status line on stderr (only on a terminal), and --verbose details.</summary>
    public static Core.Pipeline.PipelineEvents Events(ParseResult parse)
    {
        bool quiet = parse.GetValue(Quiet), verbose = parse.GetValue(Verbose);
        bool tty = !System.Console.IsErrorRedirected;
        return new Core.Pipeline.PipelineEvents
        {
            Status = quiet || !(tty || verbose) ? null : s =>
            {
                if (verbose) Steps.Start(s, VerboseLine);
                Err.MarkupLine($"[grey]giltracer: {Text(s)}…[/]");
            },
            Verbose = verbose ? VerboseLine : null,
            Warning = quiet ? null : Warn,
            LongStep = quiet || !tty ? null : WithProgressBar,
        };
    }

    static void VerboseLine(string s) => Err.MarkupLine($"[grey]{string.Join('\n', s.Split('\n').Select(Text))}[/]");

    /// <summary>--verbose timings: each status line starts a step; the next one (or the end) prints how long it took.</summary>
    static readonly StepClock Steps = new();

    sealed class StepClock
    {
        readonly System.Diagnostics.Stopwatch _total = System.Diagnostics.Stopwatch.StartNew(), _step = new();
        string? _name;

        public void Start(string name, Action<string> print)
        {
            Close(print);
            _name = name;
            _step.Restart();
        }

        public void Finish(Action<string> print)
        {
            Close(print);
            print($"giltracer: total {_total.Elapsed.TotalSeconds:F2} s");
        }

        void Close(Action<string> print)
        {
            if (_name is not null) print($"giltracer: {_name}: {_step.Elapsed.TotalSeconds:F2} s");
            _name = null;
        }
    }

    /// <summary>
    /// Runs the step on a worker thread; if it is not done within a second, a progress bar on stderr follows the
    /// fraction it reports until it is. Errors of the step come out here, as they would without the bar.
    /// </summary>
    static void WithProgressBar(string label, Action<IProgress<double>> step)
    {
        var fraction = new LatestValue();
        var work = Task.Run(() => step(fraction));
        var done = ((IAsyncResult)work).AsyncWaitHandle;
        if (!done.WaitOne(TimeSpan.FromSeconds(1)) && Err.Profile.Capabilities.Interactive)
            Err.Progress().AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var bar = ctx.AddTask(Text(label), maxValue: 1);
                    while (!done.WaitOne(100)) bar.Value = fraction.Value;
                    bar.Value = 1;
                });
        work.GetAwaiter().GetResult();
    }

    sealed class LatestValue : IProgress<double>
    {
        double _value;
        public double Value => Volatile.Read(ref _value);
        public void Report(double value) => Volatile.Write(ref _value, value);
    }
}
