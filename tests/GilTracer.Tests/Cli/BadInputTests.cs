namespace GilTracer.Tests.Cli;

/// <summary>Bad input gets one clear line and a non-zero exit, never a stack trace.</summary>
public class BadInputTests
{
    static string TempFile(string content)
    {
        var f = Path.Combine(Path.GetTempPath(), $"giltracer-{Guid.NewGuid():N}.txt");
        File.WriteAllText(f, content);
        return f;
    }

    static string[] Convert(string input) => ["convert", "gil", input, "-o", Integration.Repo.TempDir()];

    [Fact]
    public void GarbageText() =>
        CliRunner.AssertOneLineError(CliRunner.Run(Convert(TempFile("this is not\nperf output\n"))), "is not `perf script` output");

    [Fact]
    public void BinaryGarbage() =>
        CliRunner.AssertOneLineError(CliRunner.Run(Convert(TempFile("\u0001\u0002\u0003\0\0\0ELF\n\n\u00ff"))), "perf script` output");

    [Fact]
    public void EmptyRecording() =>
        CliRunner.AssertOneLineError(CliRunner.Run(Convert(TempFile(""))), "empty");

    [Fact]
    public void MissingInput() =>
        CliRunner.AssertOneLineError(CliRunner.Run(Convert("/nonexistent/perf.txt")), "input not found");

    [Fact]
    public void SchedOnlyRecordingHasNoGilEvents() =>
        CliRunner.AssertOneLineError(CliRunner.Run(Convert(TempFile(
            "python 3040114 [031] 5563911.112250: sched:sched_process_fork: comm=python pid=3040114 child_comm=python child_pid=3040116\n"))),
            "no take_gil/drop_gil probe events");

    [Fact]
    public void GilOnlyRecordingHasNoSchedEvents() =>
        CliRunner.AssertOneLineError(CliRunner.Run(["convert", "sched", TestSupport.DataPath("two_threads_gil.txt"), "-o", Integration.Repo.TempDir()]),
            "has no sched events");

    [Fact]
    public void SchedRecordingStartedMidRunIsClipped()
    {
        var dir = Integration.Repo.TempDir();
        var r = CliRunner.Run(["convert", "sched", TestSupport.DataPath("sched_pertask.txt"), "-o", dir]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("S(GIL) %", r.Stdout);
        Assert.DoesNotContain("GIL wait %", r.Stdout); // nothing is known about the GIL: no GIL columns
        Assert.Contains("per-task recording", string.Join(' ', r.Stderr.Split((char[])['\n', ' '], StringSplitOptions.RemoveEmptyEntries)));
        Assert.Contains("\"sleeping_gil_pct\"", File.ReadAllText(Path.Combine(dir, "summary.json")));
    }

    [Fact]
    public void TruncatedRecordingIsAnalyzedWithAWarning()
    {
        var text = File.ReadAllText(TestSupport.DataPath("two_threads_gil.txt"));
        var dir = Integration.Repo.TempDir();
        var r = CliRunner.Run(["convert", "gil", TempFile(text[..(text.Length - 20)]), "-o", dir]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("truncated", r.Stderr);
        Assert.Contains("11018", r.Stdout);
        // every output says so, not only the terminal
        Assert.Contains("recording looks truncated", File.ReadAllText(Path.Combine(dir, "summary.json")));
        var html = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("recording looks truncated", html);
        Assert.Contains("\"title\":\"giltracer convert gil ", html); // the command line that made it
    }

    [Fact]
    public void StdinIsAccepted()
    {
        var r = CliRunner.Run(["convert", "gil", "-", "-o", Integration.Repo.TempDir()], stdin: File.ReadAllText(TestSupport.DataPath("two_threads_gil.txt")));
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("11019", r.Stdout);
    }

    [Fact]
    public void MissingScript() =>
        CliRunner.AssertOneLineError(CliRunner.Run(["run", "-o", Integration.Repo.TempDir(), "/nonexistent/app.py"]), "script not found");

    [Fact]
    public void NothingToRun() =>
        CliRunner.AssertOneLineError(CliRunner.Run(["run", "-o", Integration.Repo.TempDir()]), "nothing to run", 2);

    [Fact]
    public void PythonNotFound() =>
        CliRunner.AssertOneLineError(CliRunner.Run(["run", "--python", "/nonexistent/python3", "-o", Integration.Repo.TempDir(), "-c", "pass"]), "Python not found");

    [Theory]
    [InlineData("/bin/false")]
    [InlineData("/bin/true")]
    [InlineData("/bin/ls")]
    [InlineData("/bin/echo")]
    public void NotAPython(string program) =>
        CliRunner.AssertOneLineError(CliRunner.Run(["run", "--python", program, "-o", Integration.Repo.TempDir(), "-c", "pass"]),
            $"'{program}' is not a Python interpreter");

    [Fact]
    public void UnknownConvertModeListsTheModes()
    {
        var r = CliRunner.Run(["convert", "foo", TestSupport.DataPath("two_threads_gil.txt"), "-o", Integration.Repo.TempDir()]);
        CliRunner.AssertOneLineError(r, "unknown mode 'foo': the mode is gil, sched or auto", 2);
        Assert.DoesNotContain("GilTracer.Core", r.Stderr);
        Assert.Empty(r.Stdout); // no help dumped
        var help = CliRunner.Run(["convert", "--help"]).Stdout;
        Assert.Contains("<gil|sched|auto>", help);
        Assert.DoesNotContain("Auto|Gil|Sched", help);
        Assert.Equal(0, CliRunner.Run(["convert", "GIL", TestSupport.DataPath("two_threads_gil.txt"), "-q", "-o", Integration.Repo.TempDir()]).ExitCode);
    }

    [Fact]
    public void FolderAsInputSaysItIsAFolder()
    {
        var dir = Integration.Repo.TempDir();
        CliRunner.AssertOneLineError(CliRunner.Run(["convert", "gil", dir, "-o", Integration.Repo.TempDir()]),
            $"{dir} is a folder: give the recording in it, e.g. {Path.Combine(dir, "perf.data")}");
    }

    [Fact]
    public void PerfMissing() =>
        CliRunner.AssertOneLineError(CliRunner.Run(["run", "-o", Integration.Repo.TempDir(), "-c", "pass"],
            new Dictionary<string, string> { ["PATH"] = "/nonexistent" }), "perf not found");

    [Fact]
    public void HelpIsCompleteForEveryCommand()
    {
        var root = CliRunner.Run(["--help"]);
        Assert.Equal(0, root.ExitCode);
        Assert.Contains("run", root.Stdout);
        Assert.Contains("convert", root.Stdout);
        var run = CliRunner.Run(["run", "--help"]).Stdout;
        foreach (var opt in new[] { "-m", "-c", "--python", "--output", "--summary-json", "--chrome-trace", "--no-html", "--quiet", "--verbose", "--mmap-pages" })
            Assert.Contains(opt, run);
        var convert = CliRunner.Run(["convert", "--help"]).Stdout;
        Assert.Contains("perf.data", convert);
    }
}
