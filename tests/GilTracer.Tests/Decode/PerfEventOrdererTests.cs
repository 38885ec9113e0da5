using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Decode;

/// <summary>perf's flush-round ordering: sorted output, file order kept on equal timestamps, bounded holding.</summary>
public class PerfEventOrdererTests
{
    private static TraceEvent E(long ts, int tag) => new(EventKind.TakeGil, ts, 1, tag);

    private static List<TraceEvent> Drain(EventBuffer b)
    {
        var list = new List<TraceEvent>();
        for (int i = 0; i < b.Count; i++) list.Add(b[i]);
        b.Clear();
        return list;
    }

    [Fact]
    public void InterleavedCpuRunsComeOutStablySortedRoundByRound()
    {
        var rng = new Random(7);
        var o = new PerfEventOrderer();
        var ready = new EventBuffer();
        var all = new List<TraceEvent>();
        var output = new List<TraceEvent>();
        int tag = 0;
        for (int round = 0; round < 50; round++)
        {
            // each CPU's buffer is written in turn, in its own time order; events of a round happened since the
            // previous read, so they may overlap the previous round but never predate the one before (perf's
            // guarantee); a narrow time range makes ties common
            foreach (int cpu in new[] { 0, 1, 2 })
            {
                var times = Enumerable.Range(0, rng.Next(0, 40)).Select(_ => 1000L + 20 * round - 10 + rng.Next(0, 30)).Order().ToList();
                foreach (var ts in times)
                {
                    var e = E(ts, tag++);
                    all.Add(e);
                    o.Add(e);
                }
            }
            o.FlushRound(ready);
            output.AddRange(Drain(ready));
            Assert.True(o.Pending <= 3 * 40 * 2, "holds at most two rounds");
        }
        o.FlushAll(ready);
        output.AddRange(Drain(ready));
        Assert.Equal(all.OrderBy(e => e.TimestampNs).ToList(), output); // OrderBy is stable: ties keep arrival order
        Assert.Equal(0, o.OutOfOrder);
    }

    [Fact]
    public void AnEventOlderThanWhatWasDeliveredIsCountedAndStillDelivered()
    {
        var o = new PerfEventOrderer();
        var ready = new EventBuffer();
        o.Add(E(100, 0));
        o.FlushRound(ready);           // nothing final yet: the limit is still 0
        Assert.Equal(0, ready.Count);
        o.Add(E(200, 1));
        o.FlushRound(ready);           // everything up to 100 is final
        Assert.Equal([E(100, 0)], Drain(ready));
        o.Add(E(50, 2));               // arrives late
        o.FlushAll(ready);
        Assert.Equal([E(50, 2), E(200, 1)], Drain(ready));
        Assert.Equal(1, o.OutOfOrder);
    }
}
