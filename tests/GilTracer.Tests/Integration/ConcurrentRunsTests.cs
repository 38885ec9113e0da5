using System.Diagnostics;
using System.Text.Json;
using GilTracer.Core.Probe;
using GilTracer.Tests.Cli;

namespace GilTracer.Tests.Integration;

/// <summary>Two `giltracer run` at once, and a `run` beside an `attach`: each keeps its own probes and files.</summary>
[Collection("perf"), Trait("Category", "Integration")]
public class ConcurrentRunsTests
{
    static (int Exit, string Stdout, string Stderr) Finish(Process p)
    {
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(180_000), "giltracer did not finish");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    static List<string> ThreadNames(string dir)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        return doc.RootElement.GetProperty("threads").EnumerateArray().Select(t => t.GetProperty("name").GetString()!).ToList();
    }

    static void WaitForWorkers(params string[] dirs)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !dirs.All(d => File.Exists(Path.Combine(d, "threads.jsonl"))
                                                           && File.ReadAllText(Path.Combine(d, "threads.jsonl")).Contains("worker-2")))
            Thread.Sleep(20);
    }

    [Fact]
    public void TwoRunsAtOnce()
    {
        string a = Repo.TempDir(), b = Repo.TempDir();
        using var runA = CliRunner.Start(["run", "-o", a, Repo.Example("two_threads.py")]);
        using var runB = CliRunner.Start(["run", "-o", b, Repo.Example("two_threads.py")]);
        WaitForWorkers(a, b);
        // Both record now: each has its own group, and `probes list` shows both as running.
        var list = CliRunner.Run(["probes", "list"]).Stdout;
        foreach (var run in new[] { runA, runB })
        {
            Assert.False(run.HasExited, "a run ended before both were seen recording");
            Assert.Matches($@"giltracer_{run.Id}_1\s+owner pid {run.Id} running", list);
        }
        var (ea, oa, _) = Finish(runA);
        var (eb, ob, _) = Finish(runB);
        Assert.Equal((0, 0), (ea, eb));
        foreach (var (dir, stdout) in new[] { (a, oa), (b, ob) })
        {
            var names = ThreadNames(dir);
            Assert.Equal(["MainThread", "worker-1", "worker-2"], names.Order().ToList()); // its own program's threads, not the other's
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            var gil = Assert.Single(doc.RootElement.GetProperty("gils").EnumerateArray());
            Assert.Equal(0, gil.GetProperty("overlap_violations").GetInt32());
            foreach (var t in doc.RootElement.GetProperty("threads").EnumerateArray().Where(t => t.GetProperty("name").GetString()!.StartsWith("worker")))
                Assert.InRange(t.GetProperty("gil_wait_pct").GetDouble(), 20, 80); // each waits for its own sibling
            Assert.Contains("worker-1", stdout);
        }
        Assert.DoesNotContain(UprobeGroup.ListDefined(), g => g.OwnerPid == runA.Id || g.OwnerPid == runB.Id);
    }

    [Fact]
    public void ARunBesideAnAttach()
    {
        var target = Process.Start(new ProcessStartInfo(Repo.Pyenv("3.11.7"))
            { ArgumentList = { Repo.Example("attach_target.py"), "60" }, RedirectStandardOutput = true })!;
        try
        {
            Assert.Equal("ready", target.StandardOutput.ReadLine());
            string attached = Repo.TempDir(), ran = Repo.TempDir();
            var ready = Path.Combine(attached, "ready");
            using var attach = CliRunner.Start(["attach", target.Id.ToString(), "--duration", "6", "-o", attached, "--ready-file", ready]);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!File.Exists(ready) && DateTime.UtcNow < deadline && !attach.HasExited) Thread.Sleep(50);
            Assert.True(File.Exists(ready), "attach did not start recording");
            using var run = CliRunner.Start(["run", "-o", ran, Repo.Example("two_threads.py")]);
            WaitForWorkers(ran);
            Assert.False(attach.HasExited, "the attach ended before the run recorded");
            var (er, _, _) = Finish(run);
            var (ea, _, _) = Finish(attach);
            Assert.Equal((0, 0), (er, ea));

            Assert.Equal(["MainThread", "worker-1", "worker-2"], ThreadNames(ran).Order().ToList());
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(attached, "summary.json")));
            // The attach saw only its process, although the run's Python maps the same libpython.
            var pids = doc.RootElement.GetProperty("threads").EnumerateArray().Select(t => t.GetProperty("pid").GetInt32()).Distinct();
            Assert.Equal([target.Id], pids);
            Assert.DoesNotContain(UprobeGroup.ListDefined(), g => g.OwnerPid == run.Id || g.OwnerPid == attach.Id);
        }
        finally
        {
            target.Kill();
            target.WaitForExit();
        }
    }
}
