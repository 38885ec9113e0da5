using GilTracer.Core.Model;
using GilTracer.Core.Pipeline;
using GilTracer.Core.Probe;
using Xunit.Abstractions;

namespace GilTracer.Tests.Integration;

/// <summary>`run` follows child processes: every process has its own GIL and its own rows.</summary>
[Collection("perf"), Trait("Category", "Integration")]
public class MultiprocessIntegrationTests(ITestOutputHelper output)
{
    GilReport RunPool(params string[] args)
    {
        var r = Repo.RunExample(Repo.Pyenv("3.11.7"), "process_pool.py", args).Report;
        foreach (var t in r.Threads)
            output.WriteLine($"{t.Pid} {t.Tid}{(t.IsMain ? "*" : "")} {t.Name} total {t.TotalNs / 1e6:F1} ms no GIL {t.NoGilPct:F1} has {t.HasGilPct:F1} wait {t.GilWaitPct:F1}");
        foreach (var g in r.Gils) output.WriteLine($"GIL {g.Pid}: held {g.HeldPct:F1} %, {g.Acquisitions} acquisitions");
        TestSupport.AssertInvariants(r);
        Assert.All(r.Gils, g => Assert.Equal(0, g.OverlapViolations));
        Assert.Equal(0, r.LostEvents);
        return r;
    }

    static List<ThreadSummary> Children(GilReport r, string namePrefix) =>
        r.Threads.Where(t => t.IsMain && t.Name.StartsWith(namePrefix, StringComparison.Ordinal)).ToList();

    [Fact]
    public void ForkedPoolOfTwoShowsThreeProcessesAndThreeGils()
    {
        var r = RunPool("executor", "fork");
        Assert.Equal(3, r.Threads.Select(t => t.Pid).Distinct().Count());
        Assert.Equal(3, r.Gils.Count);
        Assert.Equal(r.Threads.Select(t => t.Pid).Distinct().Order(), r.Gils.Select(g => g.Pid).Order());
        var workers = Children(r, "ForkProcess-");
        Assert.Equal(2, workers.Count); // named by the sitecustomize hook in each child
        // A pool worker also idles without the GIL: waiting for its task, and after it until the pool shuts down
        // (when the other worker is done): 85-97 % has GIL seen on a quiet machine, 72-90 % under load.
        Assert.All(workers, w => Assert.True(w.HasGilPct > 65, $"{w.Name} has GIL only {w.HasGilPct:F1} %"));
        Assert.All(workers, w => Assert.Equal(w.Pid, w.Tid));
    }

    [Fact]
    public void TwoForkedProcessesHoldTheirGilsNearlyAllTheirLife()
    {
        var r = RunPool("process", "fork");
        Assert.Equal(3, r.Gils.Count);
        var workers = Children(r, "cruncher-"); // multiprocessing.Process(name=...) names the child's main thread
        Assert.Equal(2, workers.Count);
        Assert.All(workers, w => Assert.True(w.HasGilPct > 85, $"{w.Name} has GIL only {w.HasGilPct:F1} %"));
    }

    [Fact]
    public void SpawnedPoolWorkersAreTracedAndNamed()
    {
        // spawn also starts multiprocessing's resource tracker: one more Python process with its own GIL.
        var r = RunPool("pool", "spawn");
        var workers = Children(r, "SpawnPoolWorker-");
        Assert.Equal(2, workers.Count);
        Assert.All(workers, w => Assert.True(w.HasGilPct > 60, $"{w.Name} has GIL only {w.HasGilPct:F1} %"));
        Assert.Equal(r.Threads.Select(t => t.Pid).Distinct().Count(), r.Gils.Count);
        Assert.True(r.Gils.Count >= 3);
    }

    [Fact]
    public void ChildRunningAnotherPythonIsNamedInAWarningOrProbedOnRequest()
    {
        var other = Repo.Pyenv("3.12.1");
        var code = "import subprocess, sys\n" +
                   $"subprocess.run([{System.Text.Json.JsonSerializer.Serialize(other)}, '-c', 't = 0\\nfor i in range(2_000_000): t += i'])\n" +
                   "subprocess.run([sys.executable, '-c', 'pass'])\n";
        var target = new RunTarget(TargetKind.Code, code, []);
        var without = RunPipeline.Run(new RunOptions(target, new OutputOptions(Repo.TempDir()), Repo.Pyenv("3.11.7"))).Report;
        var warning = Assert.Single(without.Warnings, w => w.Contains("not probed"));
        Assert.Contains(other, warning);
        Assert.Contains("--child-python", warning);
        Assert.Equal(2, without.Gils.Count); // the parent and its 3.11 child

        var with = RunPipeline.Run(new RunOptions(target, new OutputOptions(Repo.TempDir()), Repo.Pyenv("3.11.7"), ChildPythons: [other])).Report;
        foreach (var w in with.Warnings) output.WriteLine("warning: " + w);
        Assert.DoesNotContain(with.Warnings, w => w.Contains("not probed"));
        Assert.Equal(3, with.Gils.Count);
        Assert.Contains(with.Gils, g => g.HeldPct > 50); // the 3.12 child's pure-Python loop
        Assert.DoesNotContain(UprobeGroup.ListDefined(), g => g.OwnerPid == Environment.ProcessId);
    }

    [Fact]
    public void SubprocessPythonsAreTracedToo()
    {
        var r = RunPool("subprocess");
        Assert.Equal(3, r.Gils.Count);
        var children = r.Threads.Where(t => t.IsMain && t.Pid != r.Gils[0].Pid).ToList();
        Assert.Equal(2, children.Count);
        // Their life includes the interpreter's start-up (imports: file I/O without the GIL).
        Assert.All(children, c => Assert.True(c.HasGilPct > 50, $"{c.Pid} has GIL only {c.HasGilPct:F1} %"));
    }
}
