using System.Text.Json;
using GilTracer.Core.Analyze;
using GilTracer.Core.Model;
using GilTracer.Core.Pipeline;
using GilTracer.Core.Probe;

namespace GilTracer.Tests.Integration;

/// <summary>run --functions end to end: real perf, real uprobes, the real function tracer in the target.</summary>
[Collection("perf"), Trait("Category", "Integration")]
public class FunctionsIntegrationTests
{
    static RunResult Run(string version, string example, string outDir, params string[] args)
    {
        var result = RunPipeline.Run(new RunOptions(new RunTarget(TargetKind.Script, Repo.Example(example), args),
            new OutputOptions(outDir), Repo.Pyenv(version), Functions: true));
        Assert.DoesNotContain(UprobeGroup.ListDefined(), g => g.OwnerPid == Environment.ProcessId);
        return result;
    }

    // setprofile (3.8–3.11) and sys.monitoring (3.12+)
    [Theory]
    [InlineData("3.8.18", "setprofile")]
    [InlineData("3.11.7", "setprofile")]
    [InlineData("3.12.1", "monitoring")]
    [InlineData("3.13.0", "monitoring")]
    public void HogTheGilTopsTheBlameAndTheNeedyThreadsAreItsVictims(string version, string mode)
    {
        var dir = Repo.TempDir();
        var result = Run(version, "hog_the_gil.py", dir, "1.0");
        var r = result.Report;
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(mode, r.FunctionTracing!.Mode);
        var top = r.Blame[0];
        Assert.Equal("hog_the_gil", top.Name);
        Assert.True(top.PctOfAllWait > 60, $"hog_the_gil caused {top.PctOfAllWait:F1} % of all GIL wait; rows: " +
            string.Join("; ", r.Blame.Take(5).Select(b => $"{b.Function} {b.PctOfAllWait:F1} %")) +
            $"; hand-off {r.FunctionTracing.HandoffWaitNs / 1e6:F1} ms of {r.Threads.Sum(t => t.WaitNs) / 1e6:F1} ms");
        var needy = r.Threads.Where(t => t.Name.StartsWith("needy-")).Select(t => t.Tid).ToHashSet();
        Assert.Equal(2, needy.Count);
        Assert.Subset(top.VictimTids.ToHashSet(), needy);
        Assert.Contains("needy-1", top.VictimNames!);
        Assert.Contains("needy-2", top.VictimNames!);
        var hog = r.Threads.Single(t => t.Name == "hog").Tid;
        Assert.Equal([hog], top.HolderTids!);
        Assert.Contains(r.BlockMatrix, e => e.HolderTid == hog && needy.Contains(e.WaiterTid));

        // the files a user opens: summary.json's blame, folded stacks and SVGs, functions on the Chrome trace
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var blame0 = summary.RootElement.GetProperty("blame")[0];
        Assert.StartsWith("hog_the_gil (hog_the_gil.py:", blame0.GetProperty("function").GetString());
        Assert.True(blame0.GetProperty("pct_of_all_wait").GetDouble() > 60);
        Assert.True(summary.RootElement.GetProperty("function_tracing").GetProperty("records").GetInt64() > 100);
        foreach (var (file, _) in FunctionJoin.Graphs)
        {
            Assert.True(new FileInfo(Path.Combine(dir, file + ".folded")).Length > 0, file);
            Assert.Contains("<svg", File.ReadAllText(Path.Combine(dir, file + ".svg")));
        }
        Assert.Contains("hog_the_gil", File.ReadAllText(Path.Combine(dir, "flame-holding.folded")));
        Assert.Contains("\"name\":\"hog_the_gil (hog_the_gil.py:", File.ReadAllText(Path.Combine(dir, "trace.json")));
    }

    [Theory]
    [InlineData("3.11.7")]
    [InlineData("3.12.1")]
    public void ThreadsThatOnlySleepHaveNoBlameRows(string version)
    {
        var r = Run(version, "only_sleep.py", Repo.TempDir()).Report;
        Assert.NotNull(r.FunctionTracing);
        Assert.Equal(3, r.Threads.Count(t => t.Name.StartsWith("sleeper-")));
        Assert.True(r.Blame.Count == 0, "rows: " + string.Join("; ", r.Blame.Select(b => $"{b.Function} {b.CausedWaitNs / 1e3:F0} µs")));
    }

    [Fact]
    public void ExitCodeAndOutputPassThroughWithFunctions()
    {
        var dir = Repo.TempDir();
        var result = RunPipeline.Run(new RunOptions(new RunTarget(TargetKind.Code,
            "import sys; print('argv', sys.argv, __name__); sys.exit(9)", ["a b"]), new OutputOptions(dir), Repo.Pyenv("3.12.1"), Functions: true));
        Assert.Equal(9, result.ExitCode);
        Assert.Equal(9, result.Report.ExitCode);
        Assert.NotNull(result.Report.FunctionTracing);
    }
}
