using System.Xml.Linq;
using GilTracer.Core.Analyze;
using GilTracer.Core.Model;
using GilTracer.Core.Render;
using GilTracer.Tests.Analyze;

namespace GilTracer.Tests.Render;

public class FlameGraphRendererTests
{
    static FunctionTimeline Hostile()
    {
        var t = new FunctionTrace { Pid = 1, Records = [new(0, 10, FunctionRecordKind.Enter, 1), new(10, 10, FunctionRecordKind.Enter, 2)] };
        t.Functions[1] = new FunctionInfo(1, "a;b\nc", "/x/<evil>&\"file\".py", 3);
        t.Functions[2] = new FunctionInfo(2, "<script>alert(1)</script>", "<built-in>", 0);
        return FunctionTimeline.Build(t);
    }

    [Fact]
    public void FoldedLinesCannotBeSplitByNames()
    {
        var tl = Hostile();
        var f = new FoldedStacks();
        f.Add(10, tl.Visit2(10, 20), 500);
        var stacks = FlameStacks.Of(f, tl, _ => "thr;ead\n1");
        var sw = new StringWriter();
        FlameGraphFiles.WriteFolded(stacks, sw);
        var line = Assert.Single(sw.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // ';' and controls escaped (DisplayText), as the table shows them: nothing is lost, nothing splits a frame or a line
        Assert.Equal(@"thr\x3bead\n1;a\x3bb\nc (<evil>&""file"".py:3);<script>alert(1)</script> 500", line);
        int sp = line.LastIndexOf(' '); // read back as flamegraph.pl does: frames, then the count after the last space
        Assert.Equal(3, line[..sp].Split(';').Length);
        Assert.Equal(500, long.Parse(line[(sp + 1)..]));
    }

    [Fact]
    public void SvgIsWellFormedAndEscapesNames()
    {
        var tl = Hostile();
        var f = new FoldedStacks();
        f.Add(10, tl.Visit2(10, 20), 500);
        var sw = new StringWriter();
        FlameGraphSvgRenderer.Write(new FlameGraphTree(new FlameGraph("x", "title <&>", FlameStacks.Of(f, tl, _ => "t"))), sw);
        var svg = sw.ToString();
        Assert.DoesNotContain("<script>", svg);
        var doc = XDocument.Parse(svg); // throws if not well-formed
        var titles = doc.Descendants().Where(e => e.Name.LocalName == "title").Select(e => e.Value).ToList();
        Assert.Contains(titles, t => t.StartsWith("<script>alert(1)</script> — "));
    }

    [Fact]
    public void RealRecording_HoldingGraphIsTheBlameAndHogTheGilIsItsWidestLeaf()
    {
        var (_, r, tl) = BlameFixtures.Analyze("hog312");
        var stacks = FlameStacks.Of(r.Holding, tl, tid => $"t{tid}");
        Assert.Equal(r.TotalWaitNs - r.HandoffWaitNs, stacks.Sum(s => s.Value));
        var widest = stacks.MaxBy(s => s.Value)!;
        Assert.StartsWith("hog_the_gil (", widest.Frames[^1]);
        var sw = new StringWriter();
        FlameGraphSvgRenderer.Write(new FlameGraphTree(new FlameGraph("flame-holding", "holding", stacks)), sw);
        Assert.Contains("hog_the_gil", sw.ToString());
        XDocument.Parse(sw.ToString());
        // waiting: the needy threads wait inside time.sleep (the GIL is taken back before it returns)
        var waiting = FlameStacks.Of(r.Waiting, tl, tid => $"t{tid}");
        Assert.Equal(r.TotalWaitNs, waiting.Sum(s => s.Value));
        Assert.Equal("time.sleep", waiting.MaxBy(s => s.Value)!.Frames[^1]);
    }
}

static class TimelineTestExtensions
{
    /// <summary>The stack a thread runs at the start of [from, to).</summary>
    public static int Visit2(this FunctionTimeline tl, int tid, long from)
    {
        int stack = -1;
        tl.Visit(tid, from, from + 1, (s, _) => stack = s);
        return stack;
    }
}
