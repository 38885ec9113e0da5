namespace GilTracer.Tests.Python;

/// <summary>
/// python/giltracer_boot.py runs the program as plain python would, on every pyenv Python: the same output, errors
/// (tracebacks without the bootstrap's or runpy's frames, a syntax error without any) and exit code, and the same
/// globals in __main__. No perf: the bootstrap alone.
/// </summary>
public class BootstrapParityTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("giltracer-boot-").FullName;
    public void Dispose() => Directory.Delete(_dir, true);

    public static TheoryData<string> Versions => new(PythonVersions.All);

    void AssertSame(string version, params string[] args)
    {
        var plain = PythonVersions.Run(PythonVersions.Exe(version), args, _dir);
        var booted = PythonVersions.Run(PythonVersions.Exe(version), [Path.Combine(PythonVersions.PythonDir, "giltracer_boot.py"), .. args], _dir);
        Assert.Equal((plain.ExitCode, plain.Stdout, plain.Stderr), (booted.ExitCode, booted.Stdout, booted.Stderr));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void ScriptErrorsLookAsUnderPython(string version)
    {
        File.WriteAllText(Path.Combine(_dir, "syntax.py"), "x = 1\ndef (\n");
        File.WriteAllText(Path.Combine(_dir, "raises.py"), "def f():\n    return 1 / 0\nf()\n");
        File.WriteAllText(Path.Combine(_dir, "names.py"),
            "import sys\nprint(sorted((k, type(v).__name__) for k, v in globals().items() if k != '__loader__'), __file__, sys.argv, __builtins__.__name__)\n");
        AssertSame(version, "syntax.py");
        AssertSame(version, "raises.py");
        AssertSame(version, "names.py", "a");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void CodeAndModuleErrorsLookAsUnderPython(string version)
    {
        AssertSame(version, "-c", "def (");
        AssertSame(version, "-c", "x = 1\ny = 0\nx / y");
        AssertSame(version, "-c", "print(sorted(globals()))");
        AssertSame(version, "-m", "giltracer_no_such_module");
        File.WriteAllText(Path.Combine(_dir, "mod_raises.py"), "raise ValueError('from a module')\n");
        AssertSame(version, "-m", "mod_raises");
    }
}
