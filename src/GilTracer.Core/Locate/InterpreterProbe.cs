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
    const string Script =
        "import sys,sysconfig\n" +
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
        var stdout = stdoutTask.Result;
        var lines = stdout.Split('\n');
        if (proc.ExitCode != 0 || lines.Length < 3)
        {
            var err = stderrTask.Result.Trim().Split('\n').LastOrDefault() ?? "";
            throw new GilTracerException(err.Contains("SyntaxError") || err.Contains("print")
                ? $"'{python}' looks like Python 2, which GilTracer does not support; pass --python with Python 3.8 or newer"
                : $"'{python}' is not a working Python 3 ({err}); pass --python PATH");
        }
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
}
