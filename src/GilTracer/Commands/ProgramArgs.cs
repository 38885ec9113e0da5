using System.CommandLine;
using GilTracer.Core.Pipeline;

namespace GilTracer.Commands;

/// <summary>
/// `run`'s command line split as python splits its own: giltracer's options come first, and the first token that is the
/// script, `-m MODULE` (or `-mMODULE`), `-c CODE` (or `-cCODE`) or `--` ends them; everything after it belongs to the
/// program, even what looks like our options (`run -m json.tool --help`, `run -c CODE -o x -v`). System.CommandLine
/// alone parses options anywhere, so the program's part is cut off before parsing. After `--` the next word is a command
/// (py-spy's convention): `run -- python3 app.py`, `run -- uvicorn app:app`.
/// </summary>
static class ProgramArgs
{
    /// <summary>What System.CommandLine parses, the program to run (null: none given), or why the program part is wrong.</summary>
    public sealed record Split(string[] GiltracerArgs, RunTarget? Target, string? Error = null);

    /// <param name="args">The whole command line; split only when it is a `run`.</param>
    /// <param name="run">The run command: its options say which of our tokens take a value.</param>
    public static Split Of(string[] args, Command run)
    {
        if (args.Length == 0 || args[0] != run.Name) return new(args, null);
        var valued = run.Options
            .Where(o => o.Arity.MaximumNumberOfValues > 0 && o.ValueType != typeof(bool))
            .SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet();
        for (int i = 1; i < args.Length; i++)
        {
            var a = args[i];
            string[] Before() => args[..i];
            if (a == "--")
                return i + 1 < args.Length ? new(Before(), new(TargetKind.Command, args[i + 1], args[(i + 2)..]))
                    : new(Before(), null, "nothing to run after --: give a command");
            if (a is "-m" or "-c")
                return i + 1 < args.Length
                    ? new(Before(), new(a == "-m" ? TargetKind.Module : TargetKind.Code, args[i + 1], args[(i + 2)..]))
                    : new(Before(), null, a == "-m" ? "-m needs a module name" : "-c needs the code to run");
            if (a.Length > 2 && (a.StartsWith("-m", StringComparison.Ordinal) || a.StartsWith("-c", StringComparison.Ordinal)))
                return new(Before(), new(a[1] == 'm' ? TargetKind.Module : TargetKind.Code, a[2..], args[(i + 1)..]));
            if (a.Length > 1 && a[0] == '-')
            {
                if (valued.Contains(a)) i++; // its value, even if it looks like an option or a script
                continue;
            }
            return new(Before(), new(TargetKind.Script, a, args[(i + 1)..]));
        }
        return new(args, null);
    }
}
