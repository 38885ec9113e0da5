using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Decode;

public class PerfScriptTextReaderTests
{
    [Fact]
    public void ReadsOurFormatWithPidTidCpuAndNanoseconds()
    {
        var e = Assert.Single(TestSupport.ReadText(
            "         python3 11016/11018 [001]   625.588865733: giltracer_10962_1:take_gil_ret: (7fea21c4f7b0 <- 7fea21c4fbfe)\n"));
        Assert.Equal(new TraceEvent(EventKind.TakeGilReturn, 625_588_865_733, 11016, 11018, 1, Comm: "python3"), e);
    }

    [Theory]
    // perf script's default fields: tid only
    [InlineData("      python3.11  1895 [001]    73.123331706:     gt:take_gil: (7f1f89c4f7b0)", EventKind.TakeGil, 1895, false)]
    // the seed article's probe names (perf probe adds __return) and microsecond timestamps
    [InlineData("python 3353569 [031] 5563911.112418: python:take_gil__return: (55595c07fe6d <- 55595bfaa0b3)", EventKind.TakeGilReturn, 3353569, false)]
    [InlineData("python 3353569 [031] 5563911.112418: python:take_gil_1: (55595c07fe6d)", EventKind.TakeGil, 3353569, false)]
    [InlineData("python 3353569 [031] 5563911.112418: python:drop_gil__return: (55595c07fe6d <- 55595bfaa0b3)", EventKind.DropGilReturn, 3353569, false)]
    // comm with spaces and digits, no cpu column
    [InlineData("my worker 2 77/78 1.000000001: g:drop_gil: (1)", EventKind.DropGil, 78, true)]
    // stripped-binary site names
    [InlineData("p 5/6 [000] 1.5: giltracer_1_1:take_gil_acq: (1)", EventKind.TakeGilReturn, 6, true)]
    [InlineData("p 5/6 [000] 1.5: giltracer_1_1:drop_gil_rel_3: (1)", EventKind.ReleaseSite, 6, true)]
    public void AcceptsEveryNaming(string line, EventKind kind, int tid, bool pidKnown)
    {
        var e = Assert.Single(TestSupport.ReadText(line + "\n"));
        Assert.Equal(kind, e.Kind);
        Assert.Equal(tid, e.Tid);
        Assert.Equal(pidKnown, e.PidKnown);
    }

    [Fact]
    public void MicrosecondTimestampsBecomeNanoseconds()
    {
        var e = Assert.Single(TestSupport.ReadText("python 12 [031] 5563911.112418: python:take_gil: (1)\n"));
        Assert.Equal(5_563_911_112_418_000L, e.TimestampNs);
    }

    [Fact]
    public void ParsesSchedEventsFromTheSeed()
    {
        var events = TestSupport.ReadText(
            "          python 3040114 [031] 5563911.003613:                sched:sched_switch: prev_comm=python prev_pid=3040114 prev_prio=120 prev_state=R+ ==> next_comm=kworker/31:1 next_pid=2502104 next_prio=120\n" +
            "          python 3040114 [031] 5563911.112250:          sched:sched_process_fork: comm=python pid=3040114 child_comm=python child_pid=3040116\n" +
            "          python 3040114 [031] 5563911.112260:            sched:sched_wakeup_new: comm=python pid=3040116 prio=120 target_cpu=037\n" +
            "         swapper     0 [031] 5563911.112476:                sched:sched_wakeup: comm=python pid=3040114 prio=120 target_cpu=031\n" +
            "          python 3040116 [037] 5563911.112496:                sched:sched_switch: prev_comm=python prev_pid=3040116 prev_prio=120 prev_state=S ==> next_comm=swapper/37 next_pid=0 next_prio=120\n");
        Assert.Equal([EventKind.SchedSwitch, EventKind.Fork, EventKind.SchedWakeupNew, EventKind.SchedWakeup, EventKind.SchedSwitch], events.Select(e => e.Kind));
        Assert.Equal(ThreadRunState.Runnable, events[0].State);
        Assert.Equal(2502104, events[0].NextTid);
        Assert.Equal(3040116, events[1].ChildTid);
        Assert.Equal(3040114, events[3].WokenTid);
        Assert.Equal(ThreadRunState.Sleeping, events[4].State);
    }

    [Fact]
    public void StackWithTakeGilMarksTheSchedEvent()
    {
        var events = TestSupport.ReadText(
            "viztracer 3306851 [059] 5614683.022539: sched:sched_switch: prev_comm=viztracer prev_pid=3306851 prev_prio=120 prev_state=S ==> next_comm=swapper/59 next_pid=0 next_prio=120\n" +
            "\tffffffff96ed4785 __sched_text_start+0x375 ([kernel.kallsyms])\n" +
            "\t    7f4884b977b1 pthread_cond_timedwait@@GLIBC_2.3.2+0x271 (/usr/lib/x86_64-linux-gnu/libpthread-2.31.so)\n" +
            "\t    55595c07fe6d take_gil+0x1ad (/home/u/miniconda/envs/dev/bin/python3.7)\n" +
            "\n" +
            "viztracer 3306852 [059] 5614683.022540: sched:sched_switch: prev_comm=viztracer prev_pid=3306852 prev_prio=120 prev_state=S ==> next_comm=swapper/59 next_pid=0 next_prio=120\n" +
            "\tffffffff96ed4785 __sched_text_start+0x375 ([kernel.kallsyms])\n" +
            "\n");
        Assert.Equal(2, events.Count);
        Assert.True(events[0].StackHasTakeGil);
        Assert.False(events[1].StackHasTakeGil);
    }

    [Fact]
    public void GarbageIsCountedNotParsed()
    {
        var reader = new PerfScriptTextReader();
        var events = TestSupport.ReadText("hello world\n\u0001binary: 12: x\nfoo 1.2.3: bar\n", reader);
        Assert.Empty(events);
        Assert.Equal(3, reader.Result.MalformedLines);
        Assert.Equal(0, reader.Result.Events);
    }

    [Fact]
    public void BinaryDataBeforeTheFirstEventIsRefusedAtOnce()
    {
        var e = Assert.Throws<GilTracer.Core.Model.GilTracerException>(() => TestSupport.ReadText("hello\n\u0000\u0001binary\n" + new string('x', 10)));
        Assert.Contains("neither `perf script` output nor a perf.data file", e.Message);
    }

    [Fact]
    public void EndlessLinesThatAreNotPerfScriptStopEarly()
    {
        var reader = new PerfScriptTextReader { Input = "stdin" };
        int read = 0;
        var e = Assert.Throws<GilTracer.Core.Model.GilTracerException>(() =>
        {
            foreach (var _ in reader.Read(new EndlessLines())) read++;
        });
        Assert.Equal("stdin is not `perf script` output (its first 1000 lines are not); produce it with `perf script --ns`", e.Message);
    }

    [Fact]
    public void NotUnderstoodLinesAfterTheFirstEventAreCountedNotFatal()
    {
        var text = "p 5/6 [000] 1.5: g:take_gil: (1)\n" + string.Concat(Enumerable.Repeat("garbage line\n", 2000)) + "p 5/6 [000] 1.6: g:drop_gil: (1)\n";
        var reader = new PerfScriptTextReader();
        Assert.Equal(2, TestSupport.ReadText(text, reader).Count);
        Assert.Equal(2000, reader.Result.MalformedLines);
    }

    /// <summary>"yes"'s output: a line without end.</summary>
    sealed class EndlessLines : Stream
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            for (int i = 0; i < count; i++) buffer[offset + i] = (byte)(i % 8 == 7 ? '\n' : 'y');
            return count;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void TruncatedLastLineIsReported()
    {
        var reader = new PerfScriptTextReader();
        var events = TestSupport.ReadText("p 5/6 [000] 1.5: g:take_gil: (1)\np 5/6 [000] 1.6: g:take_g", reader);
        Assert.Single(events, e => e.Kind == EventKind.TakeGil);
        Assert.True(reader.Result.Truncated);
    }

    [Fact]
    public void ThreadNamesAreReadOnceAndKeptAsGiven()
    {
        var events = TestSupport.ReadText("<img src=x> 5/6 [000] 1.5: g:take_gil: (1)\n<img src=x> 5/6 [000] 1.6: g:take_gil_ret: (1)\n");
        Assert.Equal("<img src=x>", events[0].Comm);
        Assert.Same(events[0].Comm, events[1].Comm);
    }

    [Fact]
    public void ExitRecordsOfPerfScriptTaskEventsEndLives()
    {
        var events = TestSupport.ReadText(
            "python3.11  7399/7401  [-01]   375.597249309: PERF_RECORD_EXIT(7399:7401):(7398:7398)\n" +
            "python3.11  7399/7399  [-01]     0.000000000: PERF_RECORD_EXIT(7399:7399):(7398:7398)\n" + // synthesized: skipped
            "python3.11  7399/7399  [-01]   375.586672367: PERF_RECORD_FORK(7399:7401):(7399:7399)\n");
        var e = Assert.Single(events);
        Assert.Equal(new TraceEvent(EventKind.Exit, 375_597_249_309, 7399, 7401, -1, Comm: "python3.11"), e);
    }

    [Fact]
    public void ReportsProgressThroughASeekableStream()
    {
        var text = string.Concat(Enumerable.Range(0, 200_000).Select(i => $"p 5/6 [000] 1.{i:D6}: g:take_gil: (1)\n"));
        var progress = new List<double>();
        var events = new PerfScriptTextReader().Read(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)), new Collect(progress)).Count();
        Assert.Equal(200_000, events);
        Assert.True(progress.Count >= 2, $"{progress.Count} reports");
        Assert.Equal(progress.Order(), progress);
        Assert.InRange(progress[^1], 0.5, 1.0);
    }

    sealed class Collect(List<double> into) : IProgress<double>
    {
        public void Report(double value) => into.Add(value);
    }
}
