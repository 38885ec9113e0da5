using GilTracer.Core.Pipeline;
using GilTracer.Core.Probe;
using Xunit.Abstractions;

namespace GilTracer.Tests.Integration;

/// <summary>`attach --state`: the system-wide sched recording outlives the GIL recording on both sides; only the GIL
/// recording's window counts.</summary>
[Collection("perf"), Trait("Category", "Integration")]
public class AttachStateTests(ITestOutputHelper output)
{
    [Fact]
    public void StatesAreClippedToTheGilRecordingsWindow()
    {
        using var target = AttachIntegrationTests.StartTarget(Repo.Pyenv("3.11.7"), 60);
        try
        {
            var r = AttachPipeline.Attach(new AttachOptions(target.Id, new OutputOptions(Repo.TempDir()), 2.0, EnableSched: true)).Report;
            Assert.DoesNotContain(UprobeGroup.ListDefined(), g => g.OwnerPid == Environment.ProcessId);
            foreach (var t in r.Threads)
                output.WriteLine($"{t.Tid}{(t.IsMain ? "*" : "")} {t.Name} total {t.TotalNs / 1e6:F1} ms no GIL {t.NoGilPct:F1} has {t.HasGilPct:F1} " +
                                 $"wait {t.GilWaitPct:F1} | running {t.States?.RunningPct:F1} runnable {t.States?.RunnablePct:F1} S {t.States?.SleepingPct:F1} S(GIL) {t.States?.SleepingGilPct:F1}");
            TestSupport.AssertInvariants(r);
            Assert.All(r.Threads, t => Assert.InRange(t.TotalNs / 1e9, 1.5, 2.2));
            var workers = r.Threads.Where(t => !t.IsMain).ToList();
            Assert.Equal(2, workers.Count);
            Assert.All(workers, w =>
            {
                Assert.InRange(w.GilWaitPct, 35, 65);
                Assert.True(w.NoGilPct < 15, $"{w.Name}: {w.NoGilPct:F1} % no GIL (a CPU-bound worker always wants it)");
                Assert.NotNull(w.States);
                Assert.True(w.States!.SleepingPct < 15, $"{w.Name}: {w.States.SleepingPct:F1} % plain S");
            });
        }
        finally { target.Kill(); }
    }
}
