using System.Text.RegularExpressions;

namespace GilTracer.Tests.Cli;

/// <summary>`run`'s command line as python's: everything after the script, -m MODULE or -c CODE is the program's.</summary>
[Collection("perf"), Trait("Category", "Integration")]
public class ProgramArgumentsTests
{
    const string PrintArgv = "import sys; print('argv', sys.argv)";

    [Fact]
    public void OptionsAfterAModuleAreTheModules()
    {
        var r = CliRunner.Run(["run", "-q", "-o", Integration.Repo.TempDir(), "-m", "json.tool", "--help"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("json.tool", r.Stdout); // json.tool's usage, not ours
        Assert.DoesNotContain("Run a Python program under perf", r.Stdout);
    }

    [Fact]
    public void OptionsAfterCodeAreTheCodes()
    {
        var cwd = Integration.Repo.TempDir();
        var dir = Integration.Repo.TempDir();
        var r = CliRunner.Run(["run", "-o", dir, "-c", PrintArgv, "-o", "x", "-v"], workDir: cwd);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("argv ['-c', '-o', 'x', '-v']", r.Stdout);
        Assert.DoesNotContain("$ ", r.Stderr);                 // -v was the program's: no verbose output
        Assert.False(Directory.Exists(Path.Combine(cwd, "x"))); // -o x was the program's too
        Assert.True(File.Exists(Path.Combine(dir, "summary.json")));
    }

    [Fact]
    public void AttachedValuesAndDoubleDashWorkAsInPython()
    {
        var dir = Integration.Repo.TempDir();
        var attached = CliRunner.Run(["run", "-q", "-o", Integration.Repo.TempDir(), "-c" + PrintArgv, "--state"]);
        Assert.Equal(0, attached.ExitCode);
        Assert.Contains("argv ['-c', '--state']", attached.Stdout);

        var script = Path.Combine(dir, "app.py");
        File.WriteAllText(script, PrintArgv);
        // After -- comes a command (run -- COMMAND): everything after it is the command's, options of ours included.
        var dashes = CliRunner.Run(["run", "-q", "-o", Integration.Repo.TempDir(), "--", "python3", script, "--help", "-o"]);
        Assert.Equal(0, dashes.ExitCode);
        Assert.Contains($"argv ['{script}', '--help', '-o']", dashes.Stdout);
    }

    [Fact]
    public void AnUnknownOptionBeforeTheScriptIsAUsageError() =>
        CliRunner.AssertOneLineError(CliRunner.Run(["run", "--bogus", "-o", Integration.Repo.TempDir(), "app.py"]), "unknown option --bogus", 2);

    [Fact]
    public void ASyntaxErrorLooksAsUnderPython()
    {
        var dir = Integration.Repo.TempDir();
        var script = Path.Combine(dir, "bad.py");
        File.WriteAllText(script, "x = 1\ndef (\n");
        var r = CliRunner.Run(["run", "-o", Path.Combine(dir, "out"), script]);
        Assert.Equal(1, r.ExitCode);
        var python = Python.PythonVersions.Run(Integration.Repo.Pyenv("3.11.7"), [script], dir);
        Assert.StartsWith(python.Stderr, r.Stderr); // the program's own lines first, exactly; then giltracer's
        Assert.DoesNotContain("giltracer_boot", r.Stderr);
        Assert.DoesNotContain("runpy", r.Stderr);
    }

    [Fact]
    public void VerboseShowsThePerfCommandAndTimings()
    {
        var r = CliRunner.Run(["run", "-v", "-o", Integration.Repo.TempDir(), "-c", "pass"]);
        Assert.Equal(0, r.ExitCode);
        var err = Regex.Replace(r.Stderr, @"\s+", " "); // the console wraps long lines
        Assert.Contains($"$ {Core.Host.HostFacts.PerfOrNull} record -q -k CLOCK_MONOTONIC", err);
        Assert.Matches(@"giltracer: locating the GIL in \S+: \d+\.\d\d s", err);
        Assert.Matches(@"giltracer: recording \(Ctrl-C stops the program and keeps what was recorded\): \d+\.\d\d s", err);
        Assert.Matches(@"giltracer: decoding: \d+\.\d\d s", err);
        Assert.Matches(@"giltracer: total \d+\.\d\d s", err);
    }
}
