using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Decode;

/// <summary>Recordings of one clock merged into one time-ordered stream: --state's two, run -- COMMAND's one per Python build.</summary>
public class EventMergerTests
{
    static TraceEvent At(long ns, int tid) => new(EventKind.TakeGil, ns, tid, tid);

    [Fact]
    public void AnyNumberOfStreamsMergeByTimeTiesInStreamOrder()
    {
        var a = new[] { At(1, 1), At(5, 1), At(9, 1) };
        var b = new[] { At(2, 2), At(5, 2) };
        var c = new[] { At(0, 3), At(5, 3), At(10, 3) };
        var merged = EventMerger.Merge([a, b, c, []]).Select(e => (e.TimestampNs, e.Tid)).ToList();
        Assert.Equal([(0L, 3), (1L, 1), (2L, 2), (5L, 1), (5L, 2), (5L, 3), (9L, 1), (10L, 3)], merged);
        Assert.Equal(EventMerger.Merge(a, b).ToList(), EventMerger.Merge([a, b]).ToList());
        Assert.Empty(EventMerger.Merge([Array.Empty<TraceEvent>(), []]));
    }
}
