using GilTracer.Core.Host;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;

namespace GilTracer.Core.Pipeline;

/// <summary>
/// What `top -- COMMAND…` starts: a Python with its own options, then a script, -m module or -c code (run's three forms)
/// and their arguments; or a script alone, run by <paramref name="Python"/>: top starts these through the bootstrap, so
/// that threads are named as run names them. Or any other command whose first process execs a CPython (uvicorn app:app,
/// pytest -x, env FOO=1 python3 app.py, chroot ROOT python3 app.py): started as it is, its Python found before it runs
/// (<see cref="Resolved"/>), its threads named by our site hook (or by the kernel in another root).
/// </summary>
public sealed record TopProgram(string Python, IReadOnlyList<string> PythonOptions, RunTarget Target)
{
    /// <summary>Python's options that take no value (they may be combined: -uB); -X and -W take one.</summary>
    const string Flags = "bBdEhiIOPqRsSuvx";

    /// <summary>The command form (Target.Kind Command): where the command leads, told before it runs.</summary>
    public ResolvedProgram? Resolved { get; init; }

    /// <summary>
    /// Reads COMMAND: `python3 [options] (script | -m module | -c code) [args]`, `script.py [args]` (or a file that is
    /// not executable) run by the given Python (--python, or the one run would choose), or a command resolved as `run
    /// --` resolves it (<paramref name="path"/> and <paramref name="cwd"/> as execvp would see them) that must reach a
    /// CPython in its own process.
    /// </summary>
    public static TopProgram Parse(IReadOnlyList<string> command, Func<string> defaultPython, string? path = null, string? cwd = null)
    {
        if (command.Count == 0) throw new GilTracerException("top: give a PID, or a program after -- (top -- python3 app.py)", 2);
        var first = command[0];
        var file = Path.Combine(cwd ?? Directory.GetCurrentDirectory(), first);
        if (first.EndsWith(".py", StringComparison.Ordinal) || (File.Exists(file) && !LooksLikePython(first) && !IsExecutable(file)))
            return new TopProgram(defaultPython(), [], new RunTarget(TargetKind.Script, first, command.Skip(1).ToList()));
        if (!LooksLikePython(first)) return Command(command, path, cwd);

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

    /// <summary>Any other command: it must exec a CPython in the process top starts, as far as can be told before it runs.</summary>
    static TopProgram Command(IReadOnlyList<string> command, string? path, string? cwd)
    {
        var resolved = CommandResolver.Resolve(command, path, cwd); // a first word that names nothing: 127, as run -- says
        var first = $"'{command[0]}'";
        if (resolved is null) throw NotFollowed($"what {first} runs cannot be told before it starts");
        var via = resolved.Steps.Count > 0 ? $" (through {string.Join(" → ", resolved.Steps)})" : "";
        if (resolved.InChild) throw NotFollowed($"{first} runs {resolved.PathInRoot} in a child process{via}, not in its own");
        if (PythonImage.Of(resolved.HostPath).Kind == PythonImageKind.NotPython)
            throw NotFollowed($"{first} runs {resolved.HostPath}{via}, which is not a Python");
        return new TopProgram(resolved.HostPath, [], new RunTarget(TargetKind.Command, command[0], command.Skip(1).ToList())) { Resolved = resolved };
    }

    static GilTracerException NotFollowed(string why) => new(
        $"top -- COMMAND: {why}; top follows a command that execs CPython in the process it starts (python3 app.py, app.py, a #! script " +
        "such as uvicorn or pytest, env …, chroot ROOT python3 …): use giltracer run -- COMMAND, or giltracer top PID once the Python runs", 2);

    static bool IsExecutable(string file) => !OperatingSystem.IsWindows() &&
        (File.GetUnixFileMode(file) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;

    /// <summary>python, python3, python3.12, python3.13t, pypy3… by name; a path is judged by its file name.</summary>
    static bool LooksLikePython(string command)
    {
        var name = Path.GetFileName(command);
        return name.StartsWith("python", StringComparison.Ordinal) && !name.EndsWith(".py", StringComparison.Ordinal);
    }

    /// <summary>The command line that runs it through the bootstrap; the command form runs as given.</summary>
    public List<string> Argv(string python, string bootstrap)
    {
        if (Target.Kind == TargetKind.Command) return [Target.Value, .. Target.Arguments];
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
