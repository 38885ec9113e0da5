using System.CommandLine;
using System.CommandLine.Parsing;
using GilTracer.Console;
using GilTracer.Core.Locate;
using GilTracer.Core.Pipeline;

namespace GilTracer.Commands;

/// <summary>`giltracer run [options] script.py [args…]` | `-m module [args…]` | `-c code [args…]` | `-- COMMAND [args…]`
/// (after `--` the first word is always a command, py-spy's convention).</summary>
static class RunCommand
{
    static readonly Option<string?> Module = new("-m") { Description = "Run a library module as a script (like python -m)", HelpName = "module" };
    static readonly Option<string?> Code = new("-c") { Description = "Run a program passed as a string (like python -c)", HelpName = "code" };
    static readonly Option<string?> Python = new("--python")
    { Description = $"Python interpreter to trace (pyenv shims and venvs are resolved). Which one: {PythonChooser.Order}", HelpName = "path" };
    static readonly Option<string[]> ChildPython = new("--child-python")
    { Description = "Another Python the program runs in child processes, probed too (repeat for several)", HelpName = "path" };
    static readonly Option<bool> Functions = new("--functions")
    { Description = "Trace Python function calls too (in-process tracer): blame table (who held the GIL while others waited), flame graphs, functions on the trace. Slows call-heavy code" };
    static readonly Argument<string[]> Target = new("script-and-args")
    {
        Description = "The script to run and its arguments (everything after it goes to the script); or, after --, any command " +
                      "(python3.13 app.py, uvicorn app:app, bash start.sh, chroot ROOT python3 app.py): every Python it starts is traced",
        Arity = ArgumentArity.ZeroOrMore, CaptureRemainingTokens = true,
    };

    public static Command Create()
    {
        var c = new Command("run", "Run a Python program (or, after --, any command) under perf with GIL uprobes; print the per-thread GIL table and write the trace, summary and report");
        c.Add(Module);
        c.Add(Code);
        c.Add(Python);
        c.Add(RecordArgs.MmapPages);
        c.Add(ChildPython);
        c.Add(Functions);
        c.Add(RecordArgs.State);
        LocateArgs.AddTo(c);
        OutputArgs.AddTo(c);
        c.Add(Target);
        c.SetAction(p => Cli.Guard(p, () => Run(p)));
        return c;
    }

    static int Run(ParseResult p)
    {
        var rest = p.GetValue(Target) ?? [];
        string? module = p.GetValue(Module), code = p.GetValue(Code);
        RunTarget target = (module, code) switch
        {
            _ when CommandAfterDoubleDash(p) => module is not null || code is not null
                ? throw new Core.Model.GilTracerException("give either a command after -- or -m/-c, not both", 2)
                : p.GetValue(Python) is not null
                    ? throw new Core.Model.GilTracerException("--python applies to run script.py, -m and -c: after -- the command itself says which Python runs", 2)
                    : rest.Length == 0
                        ? throw new Core.Model.GilTracerException("nothing to run after --: give a command", 2)
                        : new(TargetKind.Command, rest[0], rest[1..]),
            (not null, null) => new(TargetKind.Module, module, rest),
            (null, not null) => new(TargetKind.Code, code, rest),
            (null, null) when rest.Length > 0 => new(TargetKind.Script, rest[0], rest[1..]),
            (null, null) => throw new Core.Model.GilTracerException("nothing to run: give a script, -m module or -c code", 2),
            _ => throw new Core.Model.GilTracerException("give either -m or -c, not both", 2),
        };
        var outputs = OutputArgs.From(p);
        if (target.Kind == TargetKind.Command)
        {
            var command = RunPipeline.Run(new RunOptions(target, outputs, MmapPages: p.GetValue(RecordArgs.MmapPages), Functions: p.GetValue(Functions),
                Locate: LocateArgs.From(p), EnableSched: p.GetValue(RecordArgs.State), ChildPythons: p.GetValue(ChildPython)), Cli.Events(p));
            ReportPrinter.Print(p, command.Report, outputs);
            return command.ExitCode;
        }
        var result = RunPipeline.Run(new RunOptions(target, outputs, PythonChooser.Choose(p.GetValue(Python)), p.GetValue(RecordArgs.MmapPages), p.GetValue(Functions),
            LocateArgs.From(p), EnableSched: p.GetValue(RecordArgs.State), ChildPythons: p.GetValue(ChildPython)), Cli.Events(p));
        ReportPrinter.Print(p, result.Report, outputs);
        return result.ExitCode;
    }

    /// <summary>`run [options] -- COMMAND…`: the `--` comes before the first word of what runs (after a script, a `--`
    /// is the script's own argument).</summary>
    static bool CommandAfterDoubleDash(ParseResult p)
    {
        foreach (var t in p.Tokens)
        {
            if (t.Type == TokenType.DoubleDash) return true;
            if (t.Type == TokenType.Argument && p.GetResult(Target)?.Tokens.Contains(t) == true) return false;
        }
        return false;
    }
}
