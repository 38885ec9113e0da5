using System.Diagnostics;
using GilTracer.Core.Model;
using GilTracer.Core.Pipeline;
using GilTracer.Core.Probe;
using Xunit.Abstractions;

namespace GilTracer.Tests.Integration;

/// <summary>`attach` to running pyenv Pythons, with real perf and real uprobes.</summary>
[Collection("perf"), Trait("Category", "Integration")]
public class AttachIntegrationTests(ITestOutputHelper output)
{
    /// <summary>Starts examples/attach_target.py (two contending threads) and waits until both threads run.</summary>
    public static Process StartTarget(string python, double seconds)
    {
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add(Repo.Example("attach_target.py"));
        psi.ArgumentList.Add(seconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var p = Process.Start(psi)!;
        Assert.Equal("ready", p.StandardOutput.ReadLine());
        return p;
    }

    RunResult Attach(int pid, double? duration, string? outDir = null)
    {
        var result = AttachPipeline.Attach(new AttachOptions(pid, new OutputOptions(outDir ?? Repo.TempDir()), duration));
        Assert.DoesNotContain(UprobeGroup.ListDefined(), g => g.OwnerPid == Environment.ProcessId);
        foreach (var t in result.Report.Threads)
            output.WriteLine($"{t.Pid} {t.Tid}{(t.IsMain ? "*" : "")} {t.Name} total {t.TotalNs / 1e6:F1} ms no GIL {t.NoGilPct:F1} has {t.HasGilPct:F1} wait {t.GilWaitPct:F1}");
        TestSupport.AssertInvariants(result.Report);
        Assert.All(result.Report.Gils, g => Assert.Equal(0, g.OverlapViolations));
        return result;
    }

    [Theory]
    [InlineData("3.11.7")]
    [InlineData("3.13.0")]
    public void AttachToContendingThreadsShowsEachWaitingAboutHalf(string version)
    {
        using var target = StartTarget(Repo.Pyenv(version), 60);
        try
        {
            var r = Attach(target.Id, 2.0).Report;
            var workers = r.Threads.Where(t => !t.IsMain).ToList();
            Assert.Equal(2, workers.Count);
            Assert.All(workers, w =>
            {
                Assert.Equal(target.Id, w.Pid);
                // Wait includes the forced-switch handover inside drop_gil (main's analyzer): ~50 % each.
                Assert.InRange(w.GilWaitPct, 35, 65);
                // Both threads existed before the attach: their life is the whole recording, clipped at its edges.
                Assert.Equal(r.StartNs, w.StartNs);
                Assert.InRange(w.TotalNs / 1e9, 1.8, 3.0);
            });
            Assert.Single(r.Gils);
            Assert.Empty(r.Warnings);
        }
        finally { target.Kill(); }
    }

    [Fact]
    public void ProcessExitingDuringTheRecordingEndsItWithItsData()
    {
        // perf takes 1-3 s to attach on a busy 2-core machine: the target lives long enough to be seen, then exits.
        using var target = StartTarget(Repo.Pyenv("3.11.7"), 7);
        var watch = Stopwatch.StartNew();
        var r = Attach(target.Id, null).Report; // no duration: only the exit can end it
        output.WriteLine($"attach returned after {watch.Elapsed.TotalSeconds:F1} s");
        Assert.True(target.WaitForExit(5000));
        Assert.Contains(r.Warnings, w => w.Contains("exited during the recording"));
        var workers = r.Threads.Where(t => !t.IsMain).ToList();
        Assert.Equal(2, workers.Count);
        Assert.All(workers, w => Assert.InRange(w.TotalNs / 1e9, 0.5, 7.1));
        Assert.All(workers, w => Assert.True(w.Acquisitions > 10, $"{w.Tid}: {w.Acquisitions} acquisitions"));
        Assert.All(workers, w => Assert.InRange(w.HasGilPct, 25, 75)); // still contending to the end
    }
}
