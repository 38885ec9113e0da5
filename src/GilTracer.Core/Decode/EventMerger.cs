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
}
