using GilTracer.Core.Model;

namespace GilTracer.Core.Decode;

/// <summary>Merges time-ordered event streams of separate recordings of the same clock (the per-task GIL recording and
/// the system-wide sched recording of --state) into one time-ordered stream. Ties keep the first stream first.</summary>
public static class EventMerger
{
    public static IEnumerable<TraceEvent> Merge(IEnumerable<TraceEvent> first, IEnumerable<TraceEvent> second)
    {
        using var a = first.GetEnumerator();
        using var b = second.GetEnumerator();
        bool hasA = a.MoveNext(), hasB = b.MoveNext();
        while (hasA && hasB)
        {
            if (a.Current.TimestampNs <= b.Current.TimestampNs) { yield return a.Current; hasA = a.MoveNext(); }
            else { yield return b.Current; hasB = b.MoveNext(); }
        }
        while (hasA) { yield return a.Current; hasA = a.MoveNext(); }
        while (hasB) { yield return b.Current; hasB = b.MoveNext(); }
    }

    /// <summary>Any number of streams (`run -- COMMAND`: one recording per Python build found, and sched.data); ties
    /// keep the earlier stream first.</summary>
    public static IEnumerable<TraceEvent> Merge(IReadOnlyList<IEnumerable<TraceEvent>> streams)
    {
        if (streams.Count == 2) return Merge(streams[0], streams[1]);
        return MergeMany(streams);
    }

    static IEnumerable<TraceEvent> MergeMany(IReadOnlyList<IEnumerable<TraceEvent>> streams)
    {
        var enumerators = streams.Select(s => s.GetEnumerator()).ToList();
        try
        {
            var heads = new PriorityQueue<int, (long, int)>();
            for (int i = 0; i < enumerators.Count; i++)
                if (enumerators[i].MoveNext()) heads.Enqueue(i, (enumerators[i].Current.TimestampNs, i));
            while (heads.TryDequeue(out int i, out _))
            {
                yield return enumerators[i].Current;
                if (enumerators[i].MoveNext()) heads.Enqueue(i, (enumerators[i].Current.TimestampNs, i));
            }
        }
        finally
        {
            foreach (var e in enumerators) e.Dispose();
        }
    }
}
