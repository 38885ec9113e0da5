namespace GilTracer.Tests.Cli;

/// <summary>Where outputs go: never over an earlier recording, and a clear line when the folder cannot be used.</summary>
public class OutputFolderTests
{
    static string Input => TestSupport.DataPath("two_threads_gil.txt");

    [Fact]
    public void WithoutOutputEachCommandGetsAFolderOfItsOwn()
    {
        var cwd = Integration.Repo.TempDir();
        var first = CliRunner.Run(["convert", "gil", Input, "-q"], workDir: cwd);
        Assert.Equal(0, first.ExitCode);
        var summary = Path.Combine(cwd, "giltracer-out", "summary.json");
        var before = File.ReadAllText(summary);
        File.SetLastWriteTimeUtc(summary, new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc));

        var second = CliRunner.Run(["convert", "gil", Input], workDir: cwd);
        Assert.Equal(0, second.ExitCode);
        Assert.True(File.Exists(Path.Combine(cwd, "giltracer-out-2", "summary.json")));
        Assert.Contains("giltracer-out-2", second.Stderr); // "wrote giltracer-out-2/…": the user sees where it went
        Assert.Equal(new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc), File.GetLastWriteTimeUtc(summary)); // the first is untouched
        Assert.Equal(before, File.ReadAllText(summary));
    }

    [Fact]
    public void AFailedCommandLeavesNoEmptyFolder()
    {
        var cwd = Integration.Repo.TempDir();
        CliRunner.AssertOneLineError(CliRunner.Run(["convert", "gil", "/nonexistent/perf.txt"], workDir: cwd), "input not found");
        Assert.Empty(Directory.EnumerateFileSystemEntries(cwd));
    }

    [Fact]
    public void AnOutputFolderHoldingARecordingNeedsForce()
    {
        var dir = Integration.Repo.TempDir(); // empty: fine
        Assert.Equal(0, CliRunner.Run(["convert", "gil", Input, "-q", "-o", dir]).ExitCode);
        CliRunner.AssertOneLineError(CliRunner.Run(["convert", "gil", Input, "-q", "-o", dir]),
            $"{dir} already holds a recording (summary.json): pass --force to overwrite it, or another -o");
        Assert.Equal(0, CliRunner.Run(["convert", "gil", Input, "-q", "-o", dir, "--force"]).ExitCode);
    }

    [Theory]
    [InlineData("/proc/giltracer-out", "cannot write in the output folder /proc/giltracer-out: no such folder, or it cannot hold files")]
    [InlineData("/proc", "cannot write in the output folder /proc: no such folder, or it cannot hold files")]
    [InlineData("/sys/kernel", "cannot write in the output folder /sys/kernel: permission denied")]
    public void AFolderThatCannotHoldFilesSaysSo(string dir, string message)
    {
        var r = CliRunner.Run(["convert", "gil", Input, "-o", dir]);
        CliRunner.AssertOneLineError(r, message);
        Assert.DoesNotContain("Could not find", r.Stderr);
    }

    [Fact]
    public void AFileIsNotAFolder()
    {
        var file = Path.Combine(Integration.Repo.TempDir(), "out");
        File.WriteAllText(file, "");
        var r = CliRunner.Run(["convert", "gil", Input, "-o", file]);
        CliRunner.AssertOneLineError(r, $"the output folder {file} is a file; pass -o with a folder");
        Assert.DoesNotContain("already exists", r.Stderr);
    }
}
