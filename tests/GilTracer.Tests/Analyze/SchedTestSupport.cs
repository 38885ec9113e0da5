using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Analyze;

/// <summary>Runs the GIL and sched analyzers as the pipeline does, collecting what they stream.</summary>
sealed class SchedRun : IIntervalSink
{
    public readonly List<SchedInterval> Sched = new();
    public readonly List<GilInterval> Gil = new();
    public readonly List<(int Pid, long Ns, int Runnable)> RunnableCounter = new();
    public GilReport Report = null!;
    public SchedAnalyzer States = null!;

    public void OnGilInterval(in GilInterval interval) => Gil.Add(interval);
    public void OnSchedInterval(in SchedInterval interval) => Sched.Add(interval);
    public void OnRunnableChanged(int pid, long timestampNs, int runnable) => RunnableCounter.Add((pid, timestampNs, runnable));

    public static SchedRun Of(IEnumerable<TraceEvent> events, TaskScope? scope = null)
    {
        var run = new SchedRun();
        scope ??= TaskScope.Contexts();
        var gil = new GilAnalyzer();
        gil.AddSink(run);
        run.States = new SchedAnalyzer(scope, gil);
        run.States.AddSink(run);
        foreach (var e in events)
        {
            if (!scope.Admit(e)) continue;
            gil.Process(e);
            run.States.Process(e);
        }
        run.Report = run.States.Finish(gil.Finish());
        return run;
    }

    public static SchedRun OfFile(string name, TaskScope? scope = null)
    {
        using var f = File.OpenRead(TestSupport.DataPath(name));
        return Of(new PerfScriptTextReader().Read(f).ToList(), scope);
    }

    public static SchedRun OfText(string text, TaskScope? scope = null) => Of(TestSupport.ReadText(text), scope);

    /// <summary>State percentages sum to 100, S(GIL) never exceeds the GIL wait, and streamed spans add up to the totals.</summary>
    public void AssertInvariants()
    {
        var gilPids = Report.Gils.Select(g => g.Pid).ToHashSet();
        foreach (var t in Report.Threads)
        {
            if (gilPids.Contains(t.Pid)) Assert.InRange(t.NoGilPct + t.HasGilPct + t.GilWaitPct, 99.9, 100.1);
            else Assert.Equal(0, t.NoGilPct + t.HasGilPct + t.GilWaitPct); // no GIL probes: nothing known
            if (t.States is not { } s) continue;
            Assert.InRange(s.RunningPct + s.RunnablePct + s.SleepingPct + s.SleepingGilPct + s.DiskPct, 99.9, 100.1);
            if (gilPids.Contains(t.Pid)) // with probes; from stacks alone the wait is unknown
                Assert.True(s.SleepingGilPct * t.TotalNs / 100.0 <= t.WaitNs + 1, $"tid {t.Tid}: S(GIL) {s.SleepingGilPct}% > wait {t.GilWaitPct}%");
            long spans = Sched.Where(i => i.Tid == t.Tid).Sum(i => i.DurationNs);
            Assert.Equal(t.TotalNs, spans);
            Assert.All(Sched.Where(i => i.Tid == t.Tid), i => Assert.Equal(t.Pid, i.Pid));
        }
        foreach (var c in RunnableCounter) Assert.True(c.Runnable >= 0);
    }
}
