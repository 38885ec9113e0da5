using System.Numerics;

namespace GilTracer.Core.Analyze;

/// <summary>
/// Fixed-memory log-linear histogram of nanosecond durations (16 sub-buckets per power of two, so a
/// percentile is within 1/16 of the truth); the maximum and the sum are exact, and so are the counts at the
/// bounds given at construction (a Prometheus histogram's buckets). Lets wait percentiles stream over
/// millions of acquisitions without keeping them.
/// </summary>
public sealed class LatencyHistogram(IReadOnlyList<long>? exactBounds = null)
{
    const int SubBits = 4;
    const int Sub = 1 << SubBits;
    readonly long[] _counts = new long[64 * Sub];
    readonly long[] _bounds = exactBounds?.ToArray() ?? [];
    readonly long[] _inSlot = new long[exactBounds?.Count ?? 0]; // values above bound i-1, at most bound i

    public long Count { get; private set; }
    public long Max { get; private set; }
    public long Sum { get; private set; }

    public void Add(long value)
    {
        if (value < 0) value = 0;
        _counts[Index(value)]++;
        Count++;
        Sum += value;
        if (value > Max) Max = value;
        if (_bounds.Length == 0) return;
        int slot = 0;
        while (slot < _bounds.Length && value > _bounds[slot]) slot++;
        if (slot < _bounds.Length) _inSlot[slot]++; // above the last bound: counted in Count only
    }

    /// <summary>How many values were at most each bound given at construction (cumulative, as Prometheus counts).</summary>
    public long[] CountsAtBounds()
    {
        var cumulative = new long[_inSlot.Length];
        long sum = 0;
        for (int i = 0; i < cumulative.Length; i++) cumulative[i] = sum += _inSlot[i];
        return cumulative;
    }

    /// <summary>Forgets every value (a histogram reused per interval).</summary>
    public void Clear()
    {
        Array.Clear(_counts);
        Array.Clear(_inSlot);
        Count = Max = Sum = 0;
    }

    static int Index(long v)
    {
        if (v < Sub) return (int)v;
        int msb = 63 - BitOperations.LeadingZeroCount((ulong)v);
        int sub = (int)(v >> (msb - SubBits)) & (Sub - 1);
        return (msb - SubBits + 1) * Sub + sub;
    }

    static long Midpoint(int index)
    {
        if (index < Sub) return index;
        int msb = index / Sub + SubBits - 1;
        long sub = index % Sub;
        long low = (1L << msb) | (sub << (msb - SubBits));
        long width = 1L << (msb - SubBits);
        return low + width / 2;
    }

    /// <summary>The value below which a fraction q (0..1) of the samples lie; 0 when empty.</summary>
    public long Percentile(double q)
    {
        if (Count == 0) return 0;
        long rank = (long)Math.Ceiling(q * Count);
        if (rank < 1) rank = 1;
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank) return Math.Min(Midpoint(i), Max);
        }
        return Max;
    }
}
