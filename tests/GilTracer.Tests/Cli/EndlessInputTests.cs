using System.Diagnostics;
using System.Text.Json;

namespace GilTracer.Tests.Cli;

/// <summary>`convert` tells a recording from anything else by its first bytes: an endless stream that is neither gets an
/// error within seconds, a real recording on a pipe is read to its end.</summary>
public class EndlessInputTests
{
    /// <summary>giltracer behind a shell pipe: `PIPE | giltracer ARGS`, killed after <paramref name="seconds"/>.</summary>
    static (int ExitCode, string Stderr, TimeSpan Took) Piped(string pipe, string args, int seconds = 20)
    {
        var psi = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"{pipe} | dotnet {Path.Combine(AppContext.BaseDirectory, "giltracer.dll")} {args}");
        var watch = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(seconds * 1000))
        {
            p.Kill(true);
            Assert.Fail($"`{pipe} | giltracer {args}` did not end within {seconds} s");
        }
        return (p.ExitCode, stderr.Result, watch.Elapsed);
    }

    [Fact]
    public void RandomBytesGetAnErrorWithinSeconds()
    {
        var watch = Stopwatch.StartNew();
        var r = CliRunner.Run(["convert", "gil", "/dev/urandom", "-o", Integration.Repo.TempDir()]);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
        CliRunner.AssertOneLineError(r, "/dev/urandom is neither `perf script` output nor a perf.data file");
    }

    [Fact]
    public void RandomBytesOnStandardInputGetAnErrorWithinSeconds()
    {
        var r = Piped("cat /dev/urandom", $"convert gil - -o {Integration.Repo.TempDir()}");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("giltracer: error: standard input is neither `perf script` output nor a perf.data file", r.Stderr);
    }

    [Fact]
    public void EndlessTextThatIsNotPerfScriptGetsAnErrorWithinSeconds()
    {
        var r = Piped("yes 'not a perf script line'", $"convert gil - -o {Integration.Repo.TempDir()}");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("giltracer: error: standard input is not `perf script` output (its first 1000 lines are not)", r.Stderr);
    }

    [Theory]
    [InlineData("perfdata/gil.script.txt")]
    [InlineData("perfdata/gil.perf.data")]
    [InlineData("perfdata/lost.script.txt")]
    public void ARecordingOnAPipeIsReadToItsEnd(string fixture)
    {
        var file = TestSupport.DataPath(fixture);
        var fromFile = Integration.Repo.TempDir();
        Assert.Equal(0, CliRunner.Run(["convert", "gil", file, "-o", fromFile]).ExitCode);
        var fromPipe = Integration.Repo.TempDir();
        // slowly: the reader must wait for a pipe's data, not take a pause for its end
        var r = Piped($"(head -c 3000 {file}; sleep 1; tail -c +3001 {file})", $"convert gil - -o {fromPipe}");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string Threads(string dir)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            return doc.RootElement.GetProperty("threads").GetRawText() + doc.RootElement.GetProperty("gils").GetRawText();
        }
        Assert.Equal(Threads(fromFile), Threads(fromPipe));
        Assert.DoesNotContain(Directory.GetDirectories(Path.GetTempPath(), "giltracer-stdin-*"), d => Directory.GetCreationTimeUtc(d) > DateTime.UtcNow.AddMinutes(-1));
    }
}
