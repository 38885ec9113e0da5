using GilTracer.Core.Host;
using GilTracer.Core.Model;

namespace GilTracer.Core.Pipeline;

/// <summary>
/// What `top -- COMMAND…` starts: a Python with its own options, then a script, -m module or -c code (run's three forms)
/// and their arguments; or a script alone, run by <paramref name="Python"/>. Top starts the Python itself, through the
/// bootstrap, so that threads are named as run names them.
/// </summary>
public sealed record TopProgram(string Python, IReadOnlyList<string> PythonOptions, RunTarget Target)
{
    /// <summary>Python's options that take no value (they may be combined: -uB); -X and -W take one.</summary>
    const string Flags = "bBdEhiIOPqRsSuvx";

    /// <summary>
    /// Reads COMMAND: `python3 [options] (script | -m module | -c code) [args]`, or `script.py [args]` run by the
    /// given Python (--python, or the one run would choose).
    /// </summary>
    public static TopProgram Parse(IReadOnlyList<string> command, Func<string> defaultPython)
    {
        if (command.Count == 0) throw new GilTracerException("top: give a PID, or a program after -- (top -- python3 app.py)", 2);
        var first = command[0];
        if (first.EndsWith(".py", StringComparison.Ordinal) || (File.Exists(first) && !LooksLikePython(first)))
            return new TopProgram(defaultPython(), [], new RunTarget(TargetKind.Script, first, command.Skip(1).ToList()));
        if (!LooksLikePython(first))
            throw new GilTracerException($"top -- COMMAND: '{first}' is not a Python; give one with its script (top -- python3 app.py) or a script (top -- app.py)", 2);

        var python = first.Contains('/') ? first : HostFacts.FindOnPath(first) ?? throw new GilTracerException($"'{first}' not found on PATH", 2);
        var options = new List<string>();
        int i = 1;
        for (; i < command.Count; i++)
        {
            var a = command[i];
            if (a is "-X" or "-W")
            {
                if (i + 1 >= command.Count) throw new GilTracerException($"top -- COMMAND: {a} needs a value", 2);
                options.Add(a);
                options.Add(command[++i]);
            }
            else if (a.Length > 2 && (a.StartsWith("-X", StringComparison.Ordinal) || a.StartsWith("-W", StringComparison.Ordinal))) options.Add(a);
            else if (a.Length >= 2 && a[0] == '-' && a[1] != '-' && a[1..].All(c => Flags.Contains(c)) && a is not ("-m" or "-c")) options.Add(a);
            else break;
        }
        if (i >= command.Count)
            throw new GilTracerException("top -- COMMAND: the Python needs a script, -m module or -c code (an interactive Python is not watched)", 2);
        var rest = command.Skip(i).ToList();
        RunTarget target = rest[0] switch
        {
            "-m" or "-c" when rest.Count < 2 => throw new GilTracerException($"top -- COMMAND: {rest[0]} needs a value", 2),
            "-m" => new RunTarget(TargetKind.Module, rest[1], rest.Skip(2).ToList()),
            "-c" => new RunTarget(TargetKind.Code, rest[1], rest.Skip(2).ToList()),
            var s when s.StartsWith('-') => throw new GilTracerException($"top -- COMMAND: Python option {s} is not supported here", 2),
            var s => new RunTarget(TargetKind.Script, s, rest.Skip(1).ToList()),
        };
        return new TopProgram(python, options, target);
    }

    /// <summary>python, python3, python3.12, python3.13t, pypy3… by name; a path is judged by its file name.</summary>
    static bool LooksLikePython(string command)
    {
        var name = Path.GetFileName(command);
        return name.StartsWith("python", StringComparison.Ordinal) && !name.EndsWith(".py", StringComparison.Ordinal);
    }

    /// <summary>The command line that runs it through the bootstrap.</summary>
    public List<string> Argv(string python, string bootstrap)
    {
        var argv = new List<string> { python };
        argv.AddRange(PythonOptions);
        argv.Add(bootstrap);
        if (Target.Kind == TargetKind.Module) argv.Add("-m");
        if (Target.Kind == TargetKind.Code) argv.Add("-c");
        argv.Add(Target.Value);
        argv.AddRange(Target.Arguments);
        return argv;
    }
}
