namespace GilTracer.Core.Host;

/// <summary>Command lines shown to the user (--verbose) as a POSIX shell would need them typed: copy, paste, run.</summary>
public static class ShellQuoter
{
    public static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "@%+=:,./_-".Contains(c))
            ? arg
            : "'" + arg.Replace("'", "'\\''") + "'";

    public static string Join(IEnumerable<string> argv) => string.Join(' ', argv.Select(Quote));
}
