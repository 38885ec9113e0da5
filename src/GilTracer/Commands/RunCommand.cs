using System.CommandLine;
using System.CommandLine.Parsing;
using GilTracer.Console;
using GilTracer.Core.Locate;
using GilTracer.Core.Pipeline;

namespace GilTracer.Commands;

/// <summary>`giltracer run [options] script.py [args…]` | `-m module [args…]` | `-c code [args…]` | `-- COMMAND [args…]`
/// (after `--` the first word is always a command, py-spy's convention): the program and its arguments are cut off the
/// command line before parsing (<see cref="ProgramArgs"/>); -m, -c and the script are declared here for the help text.</summary>
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

    /// <param name="program">The program part of the command line, asked for when the command runs.</param>
    public static Command Create(Func<ProgramArgs.Split> program)
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
        c.SetAction(p => Cli.Guard(p, () => Run(p, program())));
        return c;
    }

    static int Run(ParseResult p, ProgramArgs.Split program)
    {
        if (program.Error is not null) throw new Core.Model.GilTracerException(program.Error, 2);
        // The program's part never reaches the parser: what lands here is an option of ours that does not exist.
        if (p.GetValue(Target) is [var unknown, ..])
            throw new Core.Model.GilTracerException($"unknown option {unknown} (see `giltracer run --help`)", 2);
        var target = program.Target ?? throw new Core.Model.GilTracerException("nothing to run: give a script, -m module or -c code", 2);
        if (target.Kind == TargetKind.Command && p.GetValue(Python) is not null)
            throw new Core.Model.GilTracerException("--python applies to run script.py, -m and -c: after -- the command itself says which Python runs", 2);
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
}
