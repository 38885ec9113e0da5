using System.Diagnostics;
using GilTracer.Core.Model;

namespace GilTracer.Core.Locate;

/// <summary>Facts an interpreter reports about itself when asked to run a tiny script.</summary>
public sealed record InterpreterFacts(string Executable, string Version, bool FreeThreaded, IReadOnlyList<string> MappedFiles);

/// <summary>
/// Asks the interpreter itself: the real executable (pyenv shims and venvs resolve through sys.executable
/// and the process really started), its version, whether it is free-threaded, and which files it really maps
/// (/proc/self/maps: the libpython the dynamic loader picked, not a guess from file names).
/// </summary>
public static class InterpreterProbe
{
    /// <summary>Printed first by the probe script. Built from two literals, so a program that echoes its arguments
    /// (/bin/echo) does not print it.</summary>
    const string Marker = "giltracer-interpreter-probe";

    const string Script =
        "import sys,sysconfig\n" +
        "print('giltracer-' + 'interpreter-probe')\n" +
        "print(sys.executable)\n" +
        "print('%d.%d.%d' % sys.version_info[:3])\n" +
        "print(sysconfig.get_config_var('Py_GIL_DISABLED') or 0)\n" +
        "print(open('/proc/self/maps').read())\n";

    public static InterpreterFacts Ask(string python)
    {
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-S"); // no site: faster, and the maps show only what the interpreter itself needs
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(Script);
        Process proc;
        try { proc = Process.Start(psi)!; }
        catch (Exception e) { throw new GilTracerException($"cannot start Python '{python}': {e.Message}; pass --python PATH"); }
        var stdoutTask = proc.StandardOutput.ReadToEndAsync();
        var stderrTask = proc.StandardError.ReadToEndAsync();
        if (!proc.WaitForExit(30_000)) { proc.Kill(true); throw new GilTracerException($"'{python}' did not answer within 30 s"); }
        var all = stdoutTask.Result.Split('\n');
        int start = Array.IndexOf(all, Marker);
        if (start < 0)
        {
            // Not Python at all (/bin/ls, /bin/echo, /bin/true), or one that failed before printing anything.
            var err = stderrTask.Result;
            throw new GilTracerException(err.Contains("Traceback (most recent call last)", StringComparison.Ordinal)
                ? $"'{python}' failed to run a one-line Python script ({LastLine(err)}); pass --python with CPython 3.8 or newer"
                : $"'{python}' is not a Python interpreter; pass --python with CPython 3.8 or newer");
        }
        var lines = all[(start + 1)..];
        if (proc.ExitCode != 0 || lines.Length < 3)
            throw new GilTracerException($"'{python}' is not a working Python ({LastLine(stderrTask.Result)}); pass --python PATH");
        var maps = new List<string>();
        foreach (var line in lines.Skip(3))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            var file = line[slash..].Trim();
            if (!maps.Contains(file)) maps.Add(file);
        }
        return new InterpreterFacts(lines[0].Trim(), lines[1].Trim(), lines[2].Trim() == "1", maps);
    }

    static string LastLine(string text) => text.Trim().Split('\n').LastOrDefault()?.Trim() ?? "";
}
