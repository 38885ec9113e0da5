namespace GilTracer.Tests.Cli;

/// <summary>`convert` of a perf.data reads the file itself: no perf binary unless the samples carry call stacks.</summary>
public class ConvertCliTests
{
    static readonly Dictionary<string, string> NoPerfOnPath = new() { ["PATH"] = "/nonexistent" };

    static string Fixture(string name) => Decode.PerfDataReaderTests.Fixture(name);

    [Fact]
    public void PerfDataConvertsWithoutPerf()
    {
        var dir = Integration.Repo.TempDir();
        var r = CliRunner.Run(["convert", "gil", Fixture("gil.perf.data"), "-o", dir, "--no-html"], NoPerfOnPath);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(File.Exists(Path.Combine(dir, "summary.json")));
        Assert.DoesNotContain("perf not found", r.Stderr);
    }

    [Fact]
    public void PerfDataWithCallStacksStillNeedsPerfScript() =>
        CliRunner.AssertOneLineError(CliRunner.Run(["convert", "auto", Fixture("callchain.perf.data"), "-o", Integration.Repo.TempDir()], NoPerfOnPath),
            "has call stacks, which only `perf script` can symbolize; install it");

    /// <summary>perf.data written by a big-endian machine: magic "2ELIFREP". It used to be taken for text and parsed as garbage.</summary>
    [Fact]
    public void BigEndianPerfDataIsRefusedClearly()
    {
        var path = Path.Combine(Integration.Repo.TempDir(), "be.perf.data");
        var bytes = File.ReadAllBytes(Fixture("gil.perf.data"));
        for (int i = 0; i < 8; i++) bytes[i] = (byte)"2ELIFREP"[i];
        File.WriteAllBytes(path, bytes);
        CliRunner.AssertOneLineError(CliRunner.Run(["convert", "gil", path, "-o", Integration.Repo.TempDir()]), "big-endian perf.data is not supported");
    }
}
