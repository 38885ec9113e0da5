using System.CommandLine;
using GilTracer.Core.Model;
using Spectre.Console;

namespace GilTracer.Console;

/// <summary>Options every command shares, and the one place that turns failures into "giltracer: error: …".</summary>
public static class Cli
{
    public static readonly Option<bool> Quiet = new("--quiet", "-q") { Description = "Print nothing but errors (files are still written)" };
    public static readonly Option<bool> Verbose = new("--verbose", "-v") { Description = "Print what is done: commands, probe sites, timings" };

    public static IAnsiConsole Out { get; set; } = AnsiConsole.Console;
    public static IAnsiConsole Err { get; set; } = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(System.Console.Error) });

    public static void Error(string message) => System.Console.Error.WriteLine($"giltracer: error: {message}");
    public static void Warn(string message) => Err.MarkupLine($"[yellow]giltracer: warning:[/] {Markup.Escape(message)}");

    /// <summary>Runs a command body: user errors become one line and exit 1 (or their own code), never a stack trace.</summary>
    public static int Guard(ParseResult parse, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (GilTracerException e)
        {
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
            Status = quiet || !(tty || verbose) ? null : s => Err.MarkupLine($"[grey]giltracer: {Markup.Escape(s)}…[/]"),
            Verbose = verbose ? s => Err.MarkupLine($"[grey]{Markup.Escape(s)}[/]") : null,
            Warning = quiet ? null : Warn,
        };
    }
}
