using GilTracer.Core.Analyze;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Analyze;

/// <summary>
/// Real recordings (pyenv 3.11.7 on this 2-core machine, busy with other work), numbers worked out by hand from the
/// timestamps in TestData:
/// <list type="bullet">
/// <item>sched_pertask.txt: `perf record -e sched:… -k CLOCK_MONOTONIC -- python fx1.py` (per-task, no stacks): the
/// main thread starts a thread "napper" that sleeps 5 ms twice. The file starts mid-run (the start is cut off).</item>
/// <item>sched_stacks.txt: the same with `--call-graph dwarf`, two CPU-bound threads contending for the GIL, printed
/// with `perf script --max-stack 12 -F …,ip,sym`; a 52 ms window (clipped at both ends).</item>
/// <item>state_systemwide.txt: `giltracer run --state` (perf record -a, GIL uprobes + sched events) on two CPU threads
/// and a napper, a 27 ms window: every line about the program's tasks, and every 40th other line (other processes,
/// among them another Python whose take_gil/drop_gil hits our probes).</item>
/// </list>
/// </summary>
public class SchedAnalyzerFixtureTests
{
    [Fact]
    public void PerTaskRecordingNapperMatchesHandComputation()
    {
        var run = SchedRun.OfFile("sched_pertask.txt");
        var t = run.Report.Thread(27154);
        // fork at .839047316 → exit at .856457170
        Assert.Equal(1613_839_047_316L, t.StartNs);
        Assert.Equal(1613_856_457_170L, t.EndNs);
        long total = 17_409_854;
        var s = t.States!;
        // runnable: fork → first switch-in (89791), preempted .839372314 → .841830929 (2458615)
        Assert.Equal(100.0 * (89_791 + 2_458_615) / total, s.RunnablePct, 6);
        Assert.Equal(100.0 * (235_207 + 94_159 + 201_573) / total, s.RunningPct, 6);
        // Per-task: the timer's wakeups and the switch-ins from the idle task are not recorded, so each sleep lasts
        // until the thread's next own event (.847195069, .856255597).
        Assert.Equal(100.0 * (5_269_981 + 9_060_528) / total, s.SleepingPct, 6);
        Assert.Equal(0, s.SleepingGilPct);
        Assert.Equal(0, s.DiskPct);
        Assert.Equal("python3.11", t.Name);
        Assert.Equal(27149, t.Pid);
        Assert.False(t.IsMain);
        // No GIL probes: GIL columns unknown (0), no GIL line.
        Assert.Empty(run.Report.Gils);
        Assert.Equal(0, t.HasGilPct);
        run.AssertInvariants();
    }

    [Fact]
    public void PerTaskRecordingShowsOnlyTheTracedTasks()
    {
        var run = SchedRun.OfFile("sched_pertask.txt");
        // rcu_preempt, .NET workers, perf: named in the payloads, never threads of ours.
        Assert.Equal([27149, 27154], run.Report.Threads.Select(t => t.Tid).Order());
        var main = run.Report.Thread(27149);
        Assert.True(main.IsMain);
        Assert.Equal(1613_836_175_997L, main.StartNs); // clipped to the recording's first event
        Assert.Equal(1613_889_599_668L, main.EndNs);   // its exit
        run.AssertInvariants();
    }

    [Fact]
    public void StacksTellSleepsInsideTakeGil()
    {
        var run = SchedRun.OfFile("sched_stacks.txt");
        var t = run.Report.Thread(27422);
        long total = 1628_592_073_719L - 1628_540_300_807L; // clipped to the window at both ends
        Assert.Equal(total, t.TotalNs);
        var s = t.States!;
        // A per-task recording names a task in its own events first: the switch-in at .540347616 comes before
        // 27422's first own event (.544122173, switched out R), so it counts as running from the window's start.
        Assert.Equal(100.0 * (3_821_366 + 21_561 + 26_611 + 8_416 + 3_683_384 + 3_946_544 + 78_759 + 21_951) / total, s.RunningPct, 6);
        Assert.Equal(100.0 * (4_356_233 + 17_163 + 7_664_062 + 10_179 + 4_498 + 8_032_854 + 6_028_593 + 16_382 + 1_846_070) / total,
            s.RunnablePct, 6);
        // the three sleeps whose switch-outs (.556207803, .568313652, .568398693) have take_gil on the stack
        Assert.Equal(100.0 * (12_105_849 + 66_446 + 15_991) / total, s.SleepingGilPct, 6);
        Assert.Equal(0, s.SleepingPct);
        // The main thread's sleep at .548667476 (t.join) has no take_gil on its stack: plain S.
        var main = run.Report.Thread(27396).States!;
        Assert.True(main.SleepingPct > 0);
        Assert.True(main.SleepingGilPct > 0);
        Assert.Contains(run.Sched, i => i.Tid == 27396 && i.State == SchedState.Sleeping && i.StartNs == 1628_548_667_476L);
        Assert.Contains(run.Sched, i => i.Tid == 27396 && i.State == SchedState.SleepingGil && i.StartNs == 1628_548_517_130L);
        run.AssertInvariants();
    }

    [Fact]
    public void SystemWideRecordingKeepsOnlyTheProcessTree()
    {
        var run = SchedRun.OfFile("state_systemwide.txt", TaskScope.Tree([27980]));
        Assert.Equal([27980, 27996, 27997, 27998], run.Report.Threads.Select(t => t.Tid).Order());
        Assert.All(run.Report.Threads, t => Assert.Equal(27980, t.Pid));
        Assert.Single(run.Report.Gils);
        Assert.DoesNotContain(run.Sched, i => i.Pid != 27980);
        Assert.DoesNotContain(run.Gil, i => i.Pid != 27980);
        run.AssertInvariants();
    }

    [Fact]
    public void SystemWideNapperMatchesHandComputation()
    {
        var run = SchedRun.OfFile("state_systemwide.txt", TaskScope.Tree([27980]));
        var t = run.Report.Thread(27998);
        Assert.Equal(1674_360_000_995L, t.StartNs); // fork
        Assert.Equal(1674_386_155_797L, t.EndNs);   // exit
        long total = 26_154_802;
        var s = t.States!;
        Assert.Equal(100.0 * 1_057_310 / total, s.RunningPct, 6);
        Assert.Equal(100.0 * 11_589_078 / total, s.RunnablePct, 6);
        // both time.sleep calls: woken by the timer in the context of other processes (recorded only system-wide)
        Assert.Equal(100.0 * (3_946_654 + 4_102_260) / total, s.SleepingPct, 6);
        Assert.Equal(0, s.SleepingGilPct); // it slept after drop_gil returned: not waiting for the GIL
        Assert.Equal(100.0 * 5_459_500 / total, s.DiskPct, 6);
        // GIL numbers over the same life (fork → exit)
        // Its four take_gil calls found the GIL free (12053, 4288, 7033, 4099 ns: no wait). Two of its drop_gil calls
        // had the main thread waiting (handovers: 144886 ns, and 1.56 ms at thread exit): wait; the other two
        // (2184, 3377 ns) had nobody waiting: no GIL.
        Assert.Equal(144_886L + 1_555_547, t.ReleaseNs);
        Assert.Equal(t.ReleaseNs, t.WaitNs);
        Assert.Equal(242_541L + 12_935 + 162_990 + 170_123, t.HoldNs);
        Assert.Equal(100.0 * t.WaitNs / total, t.GilWaitPct, 6);
        Assert.Equal("python3.11", t.Name);
        run.AssertInvariants();
    }

    [Fact]
    public void SystemWideMainThreadSleepsInTakeGilOnlyWhileWaiting()
    {
        var run = SchedRun.OfFile("state_systemwide.txt", TaskScope.Tree([27980]));
        var main = run.Report.Thread(27980);
        Assert.True(main.States!.SleepingGilPct > 0);
        Assert.True(main.States.SleepingPct > main.States.SleepingGilPct); // mostly in join(), not for the GIL
        // every S(GIL) span lies inside one of its GIL waits
        var waits = run.Gil.Where(g => g.Tid == 27980 && g.State == GilState.Wait).ToList();
        Assert.All(run.Sched.Where(i => i.Tid == 27980 && i.State == SchedState.SleepingGil),
            i => Assert.Contains(waits, w => w.StartNs <= i.StartNs && i.EndNs <= w.EndNs));
        run.AssertInvariants();
    }

    [Fact]
    public void WithoutAScopeASystemWideRecordingShowsEveryProcess()
    {
        // What `convert` warns about: the contexts rule takes in every task of a -a recording.
        var run = SchedRun.OfFile("state_systemwide.txt");
        Assert.Contains(run.Report.Threads, t => t.Pid == 27887);
    }

    [Fact]
    public void RunnableCounterFollowsTheNapper()
    {
        var run = SchedRun.OfFile("state_systemwide.txt", TaskScope.Tree([27980]));
        // fork makes it runnable; the counter changes only in time order and ends at 0
        Assert.Equal(run.RunnableCounter.Select(c => c.Ns).Order(), run.RunnableCounter.Select(c => c.Ns));
        Assert.Equal(0, run.RunnableCounter.Last().Runnable);
        Assert.Contains(run.RunnableCounter, c => c.Ns == 1674_360_000_995L && c.Runnable >= 1);
    }
}
