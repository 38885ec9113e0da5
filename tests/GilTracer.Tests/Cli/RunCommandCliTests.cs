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

    [Fact]
    public void HelpNamesTheCommandForm()
    {
        var r = CliRunner.Run(["run", "--help"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("after --, any command", r.Stdout.Replace("\n", " ").Replace("  ", " "));
    }
}
