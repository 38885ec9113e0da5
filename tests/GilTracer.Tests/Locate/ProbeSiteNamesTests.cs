using System.Text;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using GilTracer.Core.Probe;

namespace GilTracer.Tests.Locate;

/// <summary>Every probe site kind gets an event name that the decoders (through GilProbeNames) map back to its event kind, numbered or not.</summary>
public class ProbeSiteNamesTests
{
    [Theory]
    [InlineData(ProbeSiteKind.TakeGilEntry, EventKind.TakeGil)]
    [InlineData(ProbeSiteKind.TakeGilReturn, EventKind.TakeGilReturn)]
    [InlineData(ProbeSiteKind.TakeGilAcquire, EventKind.TakeGilReturn)]
    [InlineData(ProbeSiteKind.DropGilEntry, EventKind.DropGil)]
    [InlineData(ProbeSiteKind.DropGilReturn, EventKind.DropGilReturn)]
    [InlineData(ProbeSiteKind.ReleaseSite, EventKind.ReleaseSite)]
    [InlineData(ProbeSiteKind.ReleaseStart, EventKind.DropGil)]
    [InlineData(ProbeSiteKind.ReleaseEnd, EventKind.DropGilReturn)]
    [InlineData(ProbeSiteKind.HandoverWait, EventKind.HandoverWait)]
    [InlineData(ProbeSiteKind.HandoverWaitEnd, EventKind.HandoverWaitEnd)]
    public void EveryKindsNameClassifiesBack(ProbeSiteKind site, EventKind kind)
    {
        var name = UprobeGroup.EventName(site);
        foreach (var n in new[] { name, name + "_2", name + "_13", "giltracer_7_1:" + name + "_4" })
        {
            Assert.Equal(kind, GilProbeNames.Classify(n.AsSpan()));
            Assert.Equal(kind, GilProbeNames.Classify(Encoding.ASCII.GetBytes(n).AsSpan()));
        }
    }

    [Fact]
    public void EveryKindHasAName() =>
        Assert.All(Enum.GetValues<ProbeSiteKind>(), k => Assert.StartsWith(k.ToString().StartsWith("Take") ? "take_gil" : "drop_gil", UprobeGroup.EventName(k)));

    [Theory]
    [InlineData("p 5/6 [000] 1.5: giltracer_1_1:drop_gil_hw_3: (1)", EventKind.HandoverWait)]
    [InlineData("p 5/6 [000] 1.5: giltracer_1_1:drop_gil_hw_ret_3: (1)", EventKind.HandoverWaitEnd)]
    [InlineData("p 5/6 [000] 1.5: giltracer_1_1:drop_gil_ret: (1)", EventKind.DropGilReturn)]
    public void TheTextReaderMapsHandoverWaits(string line, EventKind kind) =>
        Assert.Equal(kind, Assert.Single(TestSupport.ReadText(line + "\n")).Kind);

    [Theory]
    [InlineData(null, GilMethod.Auto)]
    [InlineData("auto", GilMethod.Auto)]
    [InlineData("symbols", GilMethod.Symbols)]
    [InlineData(" Heuristic ", GilMethod.Heuristic)]
    public void MethodsParse(string? text, GilMethod expected) => Assert.Equal(expected, LocateOptions.ParseMethod(text, "--gil-method"));

    [Fact]
    public void AnUnknownMethodIsAUsageError()
    {
        var e = Assert.Throws<GilTracerException>(() => LocateOptions.ParseMethod("dwarf", "--gil-method"));
        Assert.Equal(2, e.ExitCode);
        Assert.Contains("auto, symbols, heuristic", e.Message);
    }
}
