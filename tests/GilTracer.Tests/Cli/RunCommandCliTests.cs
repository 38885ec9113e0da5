namespace GilTracer.Tests.Cli;

/// <summary>`run [options] -- COMMAND`: after `--` the first word is a command; a `--` after a script is the script's.
/// Usage errors are one line, before anything runs.</summary>
public class RunCommandCliTests
{
    [Theory]
    [InlineData(new[] { "run", "--python", "/usr/bin/python3.11", "--", "python3", "app.py" }, "--python applies to run script.py, -m and -c", 2)]
    [InlineData(new[] { "run", "--" }, "nothing to run after --: give a command", 2)]
    [InlineData(new[] { "run", "--take-gil-offset", "0x10", "--drop-gil-offset", "0x20", "--", "python3" }, "apply to one interpreter", 2)]
    [InlineData(new[] { "run", "--", "giltracer-no-such-command" }, "command not found on PATH: giltracer-no-such-command", 127)]
    [InlineData(new[] { "run", "--", "./giltracer-no-such-file.py" }, "no such file: ./giltracer-no-such-file.py", 127)]
    public void UsageErrorsAreOneLine(string[] args, string message, int exitCode) =>
        CliRunner.AssertOneLineError(CliRunner.Run(args), message, exitCode);

    /// <summary>A command whose only Python cannot be traced: one line naming why (here found before the run).</summary>
    [Fact]
    public void ACommandWhosePythonIsRefusedIsOneLine()
    {
        var dir = Integration.Repo.TempDir();
        var r = CliRunner.Run(["run", "-o", dir, "--", Integration.Repo.Pyenv("3.7.16"), "-c", "pass"]);
        CliRunner.AssertOneLineError(r, "not traced: /root/.pyenv/versions/3.7.16/lib/libpython3.7m.so.1.0 is Python 3.7: GilTracer needs CPython 3.8 or newer");
        Directory.Delete(dir, true);
    }

    [Fact]
    public void HelpNamesTheCommandForm()
    {
        var r = CliRunner.Run(["run", "--help"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("after --, any command", r.Stdout.Replace("\n", " ").Replace("  ", " "));
    }
}
