using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Analyze;

/// <summary>Partial and odd sched streams: clipped, never crashed on. One literal input per case.</summary>
public class SchedAnalyzerEdgeCaseTests
{
    static string Switch(int ctxPid, int prev, string state, int next, double sec) =>
        $"python3 {ctxPid}/{prev} [000] {sec:F9}: sched:sched_switch: prev_comm=python3 prev_pid={prev} prev_prio=120 prev_state={state} ==> next_comm=x next_pid={next} next_prio=120\n";
    static string Wakeup(int ctxPid, int ctxTid, int woken, double sec) =>
        $"python3 {ctxPid}/{ctxTid} [000] {sec:F9}: sched:sched_wakeup: comm=python3 pid={woken} prio=120 target_cpu=000\n";
    static string Gil(int pid, int tid, string ev, double sec) => $"python3 {pid}/{tid} [000] {sec:F9}: giltracer_1_1:{ev}: (1)\n";
    static string Fork(int pid, int parent, int child, double sec) =>
        $"python3 {pid}/{parent} [000] {sec:F9}: sched:sched_process_fork: comm=python3 pid={parent} child_comm=python3 child_pid={child}\n";
    static string Exit(int pid, int tid, double sec) =>
        $"python3 {pid}/{tid} [000] {sec:F9}: sched:sched_process_exit: comm=python3 pid={tid} prio=120 group_dead=false\n";

    [Fact]
    public void FirstEventsTellWhatTheThreadDidBeforeTheRecording()
    {
        // The root's main thread (tid 100) exists before the recording; its first event says what it was doing.
        // Woken first: it slept since the start.
        var woken = SchedRun.OfText(Switch(900, 900, "S", 901, 1.0) + Wakeup(900, 901, 100, 1.5) + Switch(900, 901, "R", 100, 2.0) +
                                    Switch(100, 100, "S", 0, 3.0), TaskScope.Tree([100]));
        var s = woken.Report.Thread(100).States!;
        Assert.Equal(1.5e9, woken.Report.Thread(100).StartNs); // its life in the recording starts at its first event
        Assert.Equal(0.0, s.SleepingPct, 6);
        Assert.Equal(100.0 / 3, s.RunnablePct, 6);  // 1.5 → 2.0 of 1.5 → 3.0
        Assert.Equal(200.0 / 3, s.RunningPct, 6);   // 2.0 → 3.0
        // Switched in first: it was waiting for a CPU since the recording's first event about it.
        var switched = SchedRun.OfText(Switch(900, 900, "R", 100, 1.0) + Switch(100, 100, "R", 900, 2.0) + Switch(900, 900, "S", 100, 3.0) +
                                       Switch(100, 100, "D", 0, 4.0), TaskScope.Tree([100]));
        var t = switched.Report.Thread(100).States!;
        Assert.Equal(200.0 / 3, t.RunningPct, 6);   // 1 → 2, 3 → 4
        Assert.Equal(100.0 / 3, t.RunnablePct, 6);  // preempted 2 → 3
        // Switched out first: it ran until then (its own event), nothing before is in the recording.
        var first = SchedRun.OfText(Switch(100, 100, "S", 900, 1.0) + Wakeup(900, 900, 100, 2.0) + Switch(900, 900, "S", 100, 3.0) +
                                    Switch(100, 100, "S", 900, 4.0), TaskScope.Tree([100]));
        var u = first.Report.Thread(100).States!;
        Assert.Equal(100.0 / 3, u.SleepingPct, 6);
        Assert.Equal(100.0 / 3, u.RunnablePct, 6);
        Assert.Equal(100.0 / 3, u.RunningPct, 6);
        woken.AssertInvariants();
        switched.AssertInvariants();
        first.AssertInvariants();
    }

    [Fact]
    public void SleepsInsideTakeGilAndDropGilAreSGilButNotAfterAnInlinedReleaseSite()
    {
        // Thread 102 holds the GIL while 100 waits in take_gil (1.0 → 1.4), and waits for it (1.9 → 2.4) while 100
        // drops it: so 100's take_gil and drop_gil are both blocked by the GIL.
        var run = SchedRun.OfText(
            Gil(100, 102, "take_gil", 1.0) + Gil(100, 102, "take_gil_ret", 1.0) +
            Gil(100, 100, "take_gil", 1.0) + Switch(100, 100, "S", 0, 1.1) + Wakeup(100, 101, 100, 1.3) + Switch(100, 101, "S", 100, 1.4) +
            Gil(100, 102, "drop_gil", 1.4) + Gil(100, 102, "drop_gil_ret", 1.4) +
            Gil(100, 100, "take_gil_ret", 1.5) + Gil(100, 102, "take_gil", 1.9) + Gil(100, 100, "drop_gil", 2.0) + Switch(100, 100, "S", 0, 2.1) +
            Gil(100, 102, "take_gil_ret", 2.4) +
            Wakeup(100, 101, 100, 2.5) + Switch(100, 101, "S", 100, 2.5) + Gil(100, 100, "drop_gil_ret", 2.6) +
            Gil(100, 102, "drop_gil", 2.65) + Gil(100, 102, "drop_gil_ret", 2.65) +
            Gil(100, 100, "take_gil", 2.7) + Gil(100, 100, "take_gil_ret", 2.7) + Gil(100, 100, "drop_gil_rel_2", 2.8) +
            Switch(100, 100, "S", 0, 2.8) + Wakeup(100, 101, 100, 2.9) + Switch(100, 101, "S", 100, 2.9) + Exit(100, 100, 3.0),
            TaskScope.Tree([100]));
        var t = run.Report.Thread(100);
        Assert.Equal(1.0e9, t.StartNs); // clipped: its first event
        Assert.Equal(3.0e9, t.EndNs);   // exit
        // 1.1 → 1.3 inside take_gil, 2.1 → 2.5 inside drop_gil (the forced-switch handover, counted as wait)
        Assert.Equal(30.0, t.States!.SleepingGilPct, 6);
        Assert.Equal(5.0, t.States.SleepingPct, 6); // 2.8 → 2.9 after a stripped build's release site: no GIL
        Assert.Equal(55.0, t.GilWaitPct, 6); // take_gil 1.0 → 1.5, plus drop_gil entry → return 2.0 → 2.6
        // The completed release is a wait on the timeline too, as in the table.
        Assert.Contains(run.Gil, i => i.State == GilState.Wait && i.StartNs == 2_000_000_000 && i.EndNs == 2_600_000_000);
        run.AssertInvariants();
    }

    [Fact]
    public void UnrecordedWakeupAndSwitchInStillLeaveASleepInTakeGilAsSGil()
    {
        // Some kernels (this VM's) trace nothing in an idle CPU's context: a thread woken there and switched in from
        // idle shows no wakeup and no switch-in. Its sleep ends at its next own event, when it has already left
        // take_gil; what the sleep was is decided when it starts.
        var run = SchedRun.OfText(
            Gil(100, 102, "take_gil", 1.0) + Gil(100, 102, "take_gil_ret", 1.0) + // 102 holds the GIL until 1.9
            Gil(100, 100, "take_gil", 1.0) + Switch(100, 100, "S", 0, 1.2) +
            Gil(100, 102, "drop_gil", 1.9) + Gil(100, 102, "drop_gil_ret", 1.9) + Gil(100, 100, "take_gil_ret", 2.0) +
            Gil(100, 100, "drop_gil", 2.5) + Gil(100, 100, "drop_gil_ret", 2.5) + Switch(100, 100, "S", 0, 2.6) +
            Gil(100, 100, "take_gil", 3.0) + Exit(100, 100, 3.0), TaskScope.Tree([100]));
        var s = run.Report.Thread(100).States!;
        Assert.Equal(40.0, s.SleepingGilPct, 6); // 1.2 → 2.0
        Assert.Equal(20.0, s.SleepingPct, 6);    // 2.6 → 3.0: after the release, a sleep of its own
        Assert.Equal(2, run.States.MissedSwitchIns);
        run.AssertInvariants();
    }

    [Fact]
    public void ForkAndExitAreTheExactLifeAlsoForGilPercentages()
    {
        var run = SchedRun.OfText(
            Gil(100, 100, "take_gil", 1.0) + Gil(100, 100, "take_gil_ret", 1.0) + Fork(100, 100, 101, 2.0) +
            Switch(100, 100, "R", 101, 3.0) + Gil(100, 101, "take_gil", 4.0) + Gil(100, 101, "take_gil_ret", 5.0) +
            Gil(100, 101, "drop_gil", 6.0) + Gil(100, 101, "drop_gil_ret", 6.0) + Exit(100, 101, 7.0) + Switch(100, 101, "X", 100, 7.0) +
            Gil(100, 100, "drop_gil", 8.0), TaskScope.Tree([100]));
        var t = run.Report.Thread(101);
        Assert.Equal(2.0e9, t.StartNs);
        Assert.Equal(7.0e9, t.EndNs);
        Assert.Equal(20.0, t.GilWaitPct, 6);  // 4 → 5 of 2 → 7
        Assert.Equal(20.0, t.HasGilPct, 6);   // 5 → 6
        Assert.Equal(60.0, t.NoGilPct, 6);
        Assert.Equal(20.0, t.States!.RunnablePct, 6); // fork → switch-in
        Assert.Equal(80.0, t.States.RunningPct, 6);
        run.AssertInvariants();
    }

    [Fact]
    public void DefaultPerfScriptFieldsWithoutPidWork()
    {
        // The seed article's format: "comm tid [cpu] secs.usecs:", no pid.
        var run = SchedRun.OfText(
            "python 3040114 [031] 5563911.112250: sched:sched_process_fork: comm=python pid=3040114 child_comm=python child_pid=3040116\n" +
            "python 3040114 [031] 5563911.112260: sched:sched_wakeup_new: comm=python pid=3040116 prio=120 target_cpu=037\n" +
            "python 3040114 [031] 5563911.112273: sched:sched_switch: prev_comm=python prev_pid=3040114 prev_prio=120 prev_state=S ==> next_comm=swapper/31 next_pid=0 next_prio=120\n" +
            "swapper 0 [037] 5563911.112300: sched:sched_switch: prev_comm=swapper/37 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=python next_pid=3040116 next_prio=120\n" +
            "python 3040116 [037] 5563911.112496: sched:sched_switch: prev_comm=python prev_pid=3040116 prev_prio=120 prev_state=S ==> next_comm=swapper/37 next_pid=0 next_prio=120\n" +
            "swapper 0 [031] 5563912.113697: sched:sched_wakeup: comm=python pid=3040114 prio=120 target_cpu=031\n");
        Assert.Equal([3040114, 3040116], run.Report.Threads.Select(t => t.Tid).Order());
        Assert.All(run.Report.Threads, t => Assert.Equal(3040114, t.Pid));
        var child = run.Report.Thread(3040116).States!;
        Assert.True(child.RunnablePct > 0 && child.RunningPct > 0 && child.SleepingPct > 99);
        run.AssertInvariants();
    }

    [Fact]
    public void ChildProcessGetsItsOwnPidAndOutsidersStayOut()
    {
        var run = SchedRun.OfText(Fork(100, 100, 200, 1.0) + Switch(999, 999, "R", 200, 1.5) + Switch(200, 200, "S", 999, 2.0) +
                                  Wakeup(999, 998, 200, 3.0) + Switch(999, 998, "S", 200, 3.5) + Exit(200, 200, 4.0) +
                                  Switch(999, 999, "S", 998, 4.5) + Switch(100, 100, "S", 999, 5.0), TaskScope.Tree([100]));
        Assert.Equal([100, 200], run.Report.Threads.Select(t => t.Tid).Order());
        var child = run.Report.Thread(200);
        Assert.Equal(200, child.Pid);
        Assert.True(child.IsMain);
        Assert.All(run.Sched.Where(i => i.Tid == 200), i => Assert.Equal(200, i.Pid)); // held back until its pid was known
        run.AssertInvariants();
    }

    [Fact]
    public void TruncatedAndGarbledLinesAreSkipped()
    {
        var text = Switch(100, 100, "R", 101, 1.0) + "python3 100/101 [000] 1.5: sched:sched_switch: prev_comm=python3 prev_pid=\n" +
                   "garbage\n" + Switch(100, 101, "S", 100, 2.0) + Switch(100, 100, "D", 0, 3.0)[..60];
        var reader = new PerfScriptTextReader();
        var run = SchedRun.Of(TestSupport.ReadText(text, reader), TaskScope.Tree([100]));
        Assert.True(reader.Result.MalformedLines >= 2);
        Assert.True(reader.Result.Truncated || reader.Result.MalformedLines >= 3);
        Assert.Equal(2, run.Report.Threads.Count);
        run.AssertInvariants();
    }

    [Fact]
    public void NoSchedEventsNoStates()
    {
        var run = SchedRun.OfText(Gil(100, 100, "take_gil", 1.0) + Gil(100, 100, "take_gil_ret", 2.0));
        Assert.Null(Assert.Single(run.Report.Threads).States);
    }
}
