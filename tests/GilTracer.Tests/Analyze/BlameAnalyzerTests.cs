using GilTracer.Core.Analyze;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Analyze;

public class BlameAnalyzerTests
{
    static FunctionTrace Trace(params FunctionRecord[] records)
    {
        var t = new FunctionTrace { Pid = 1, Records = records };
        t.Functions[1] = new FunctionInfo(1, "main", "/app/app.py", 1);
        t.Functions[2] = new FunctionInfo(2, "hog", "/app/app.py", 10);
        t.Functions[3] = new FunctionInfo(3, "helper", "/app/app.py", 20);
        t.Functions[4] = new FunctionInfo(4, "time.sleep", "<built-in>", 0);
        return t;
    }

    static FunctionRecord R(long ts, int tid, FunctionRecordKind k, int id) => new(ts, tid, k, id);

    [Fact]
    public void WaitIsBlamedOnTheHoldersRunningFunction_WorkedByHand()
    {
        // thread 10 (holder): main from 0, hog from 100, helper 300..400 inside hog, GC gen 2 at 500..600
        // thread 20 (waiter): in time.sleep from 50 (it waits to get the GIL back inside it)
        var trace = Trace(
            R(0, 10, FunctionRecordKind.Enter, 1), R(100, 10, FunctionRecordKind.Enter, 2),
            R(300, 10, FunctionRecordKind.Enter, 3), R(400, 10, FunctionRecordKind.Exit, 3),
            R(500, 10, FunctionRecordKind.GcStart, 2), R(600, 10, FunctionRecordKind.GcStop, 2 | 7 << 2),
            R(50, 20, FunctionRecordKind.Enter, 4));
        var blame = new BlameAnalyzer();
        blame.OnGilInterval(new GilInterval(1, 10, 0, 700, GilState.Hold));
        blame.OnGilInterval(new GilInterval(1, 20, 60, 200, GilState.NoGil));
        blame.OnGilInterval(new GilInterval(1, 20, 200, 750, GilState.Wait)); // 500 ns under 10's hold, 50 hand-off
        var r = blame.Finish(FunctionTimeline.Build(trace), tid => $"t{tid}");

        Assert.Equal(550, r.TotalWaitNs);
        Assert.Equal(50, r.HandoffWaitNs);
        var byName = r.Rows.ToDictionary(x => x.Function);
        // 200..300 hog, 300..400 helper, 400..500 hog, 500..600 gc, 600..700 hog
        Assert.Equal(300, byName["hog (app.py:10)"].CausedWaitNs);
        Assert.Equal(100, byName["helper (app.py:20)"].CausedWaitNs);
        Assert.Equal(100, byName["<gc gen 2>"].CausedWaitNs);
        Assert.Equal(3, r.Rows.Count); // the hand-off is not a function's doing
        Assert.Equal(500, byName["hog (app.py:10)"].InclusiveWaitNs); // helper and the GC ran inside hog
        Assert.Equal(100.0 * 300 / 550, byName["hog (app.py:10)"].PctOfAllWait, 6);
        Assert.Equal("hog (app.py:10)", r.Rows[0].Function);
        Assert.Equal([20], r.Rows[0].VictimTids);
        Assert.Equal(["t20"], r.Rows[0].VictimNames!);
        Assert.Equal([10], r.Rows[0].HolderTids!);
        var edge = Assert.Single(r.Matrix);
        Assert.Equal((10, 20, 500L), (edge.HolderTid, edge.WaiterTid, edge.WaitNs));
        Assert.Equal(550, r.Waiting.Total);  // all of it inside time.sleep
        Assert.Equal(140, r.OffGil.Total);
        Assert.Equal(500, r.Holding.Total);
    }

    [Fact]
    public void NoWaitMeansNoBlame()
    {
        var trace = Trace(R(0, 10, FunctionRecordKind.Enter, 4), R(0, 20, FunctionRecordKind.Enter, 4));
        var blame = new BlameAnalyzer();
        blame.OnGilInterval(new GilInterval(1, 10, 0, 10, GilState.Hold));
        blame.OnGilInterval(new GilInterval(1, 10, 10, 1000, GilState.NoGil));
        blame.OnGilInterval(new GilInterval(1, 20, 20, 30, GilState.Hold));
        blame.OnGilInterval(new GilInterval(1, 20, 30, 1000, GilState.NoGil));
        var r = blame.Finish(FunctionTimeline.Build(trace), tid => "");
        Assert.Empty(r.Rows);
        Assert.Empty(r.Matrix);
        Assert.Equal(0, r.TotalWaitNs);
    }

    [Fact]
    public void UntracedHolderIsSaidSo()
    {
        var blame = new BlameAnalyzer();
        blame.OnGilInterval(new GilInterval(1, 10, 0, 100, GilState.Hold));
        blame.OnGilInterval(new GilInterval(1, 20, 0, 100, GilState.Wait));
        var r = blame.Finish(FunctionTimeline.Build(Trace()), tid => "");
        Assert.Equal(BlameAnalyzer.UnknownName, Assert.Single(r.Rows).Function);
    }

    [Fact]
    public void FunctionsBelowTheFloorAreNotRows()
    {
        // 1 % of all threads' time (1000 + 1000 ns) is 20 ns: a 10 ns wait is noise
        var trace = Trace(R(0, 10, FunctionRecordKind.Enter, 2));
        var blame = new BlameAnalyzer();
        blame.OnGilInterval(new GilInterval(1, 10, 0, 1000, GilState.Hold));
        blame.OnGilInterval(new GilInterval(1, 20, 0, 10, GilState.Wait));
        blame.OnGilInterval(new GilInterval(1, 20, 10, 1000, GilState.NoGil));
        var r = blame.Finish(FunctionTimeline.Build(trace), tid => "");
        Assert.Empty(r.Rows);
        Assert.Equal((1, 10L, 20L), (r.RowsBelowFloor, r.WaitBelowFloorNs, r.FloorNs));
        Assert.Single(blame.Finish(FunctionTimeline.Build(trace), tid => "", minPctOfThreadTime: 0).Rows);
    }

    [Theory]
    [InlineData("hog312", "monitoring")]
    [InlineData("hog38", "setprofile")]
    public void RealRecording_HogTheGilIsTopOfTheBlame(string fixture, string mode)
    {
        var (report, r, timeline) = BlameFixtures.Analyze(fixture);
        Assert.Equal(mode, timeline.Trace.Mode);
        var top = r.Rows[0];
        Assert.Equal("hog_the_gil", top.Name);
        Assert.EndsWith("hog_the_gil.py", top.File);
        Assert.True(top.PctOfAllWait > 60, $"hog_the_gil caused {top.PctOfAllWait:F1} % of the wait");
        var needy = report.Threads.Where(t => t.Name.StartsWith("needy-")).Select(t => t.Tid).OrderBy(t => t).ToArray();
        Assert.Equal(2, needy.Length);
        Assert.Subset(top.VictimTids.ToHashSet(), needy.ToHashSet());
        var hog = report.Threads.Single(t => t.Name == "hog").Tid;
        Assert.Equal([hog], top.HolderTids!);
        // the rows, what fell below the floor and the hand-off add up to all the wait (self time partitions it)
        Assert.Equal(r.TotalWaitNs, r.Rows.Sum(x => x.CausedWaitNs) + r.WaitBelowFloorNs + r.HandoffWaitNs);
        Assert.True(r.RowsBelowFloor > 0);
        Assert.All(r.Rows, x => Assert.True(x.CausedWaitNs >= r.FloorNs));
        // blame shares out all the wait the table shows: inside take_gil and inside drop_gil waiting for the switch
        Assert.Equal(report.Threads.Sum(t => t.WaitNs), r.TotalWaitNs);
        Assert.Equal(r.TotalWaitNs - r.HandoffWaitNs, r.Matrix.Sum(e => e.WaitNs));
    }
}
