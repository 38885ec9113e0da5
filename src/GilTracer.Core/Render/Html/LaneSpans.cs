namespace GilTracer.Core.Render.Html;

/// <summary>
/// The spans of one thread on one track (GIL or sched), stored as parallel arrays so a million spans
/// cost ~17 bytes each. Compact() merges spans shorter than a threshold into "mixed" spans that keep
/// how long each state lasted inside them, so a downsampled lane still shows the right proportions.
/// </summary>
internal sealed class LaneSpans
{
    /// <summary>State code of a merged span; its per-state times are in <see cref="MixNs"/>.</summary>
    public const byte Mixed = 255;

    public int Pid { get; }
    public int Tid { get; }
    /// <summary>How many states the track has (4 GIL states, 5 sched states): the stride of MixNs.</summary>
    public int StateCount { get; }

    public long[] Start = new long[64];
    public long[] End = new long[64];
    public byte[] State = new byte[64];
    public int Count;
    /// <summary>Per mixed span, in order, StateCount ns totals.</summary>
    public List<long> MixNs = new();
    bool _unsorted;

    public LaneSpans(int pid, int tid, int stateCount)
    {
        Pid = pid; Tid = tid; StateCount = stateCount;
    }

    public void Add(long start, long end, byte state)
    {
        if (end < start) (start, end) = (end, start);
        if (Count == Start.Length)
        {
            int n = Count * 2;
            Array.Resize(ref Start, n); Array.Resize(ref End, n); Array.Resize(ref State, n);
        }
        if (Count > 0 && start < Start[Count - 1]) _unsorted = true;
        Start[Count] = start; End[Count] = end; State[Count] = state;
        Count++;
    }

    public void SortIfNeeded()
    {
        if (!_unsorted) return;
        _unsorted = false;
        var idx = new int[Count];
        for (int i = 0; i < Count; i++) idx[i] = i;
        var starts = Start;
        Array.Sort(idx, (a, b) => starts[a] != starts[b] ? starts[a].CompareTo(starts[b]) : a.CompareTo(b));
        var s = new long[Start.Length]; var e = new long[Start.Length]; var k = new byte[Start.Length];
        var mixOffsets = MixOffsets();
        var mix = new List<long>(MixNs.Count);
        for (int i = 0; i < Count; i++)
        {
            int j = idx[i];
            s[i] = Start[j]; e[i] = End[j]; k[i] = State[j];
            if (k[i] == Mixed)
                for (int q = 0; q < StateCount; q++) mix.Add(MixNs[mixOffsets[j] + q]);
        }
        Start = s; End = e; State = k; MixNs = mix;
    }

    int[] MixOffsets()
    {
        var offsets = new int[Count];
        int m = 0;
        for (int i = 0; i < Count; i++)
            if (State[i] == Mixed) { offsets[i] = m; m += StateCount; }
        return offsets;
    }

    /// <summary>
    /// Merges runs of spans shorter than <paramref name="thresholdNs"/> into mixed spans no longer than
    /// about the threshold; spans at least that long stay exact. Returns the new count.
    /// </summary>
    public int Compact(long thresholdNs)
    {
        SortIfNeeded();
        var sums = new long[StateCount];
        var newMix = new List<long>();
        int write = 0, mixRead = 0;
        int runCount = 0, runFirst = -1;
        long runStart = 0, runEnd = 0;

        void Flush()
        {
            if (runCount == 0) return;
            if (runCount == 1 && State[runFirst] != Mixed)
            {
                Start[write] = Start[runFirst]; End[write] = End[runFirst]; State[write] = State[runFirst];
            }
            else
            {
                Start[write] = runStart; End[write] = runEnd; State[write] = Mixed;
                newMix.AddRange(sums);
            }
            write++;
            Array.Clear(sums);
            runCount = 0;
        }

        for (int i = 0; i < Count; i++)
        {
            long s = Start[i], e = End[i];
            byte k = State[i];
            // read (and consume) this span's mix before the write cursor can overwrite anything
            if (k != Mixed && e - s >= thresholdNs)
            {
                Flush();
                Start[write] = s; End[write] = e; State[write] = k; write++;
                continue;
            }
            if (runCount == 0) { runFirst = i; runStart = s; runEnd = e; }
            if (k == Mixed)
            {
                for (int q = 0; q < StateCount; q++) sums[q] += MixNs[mixRead + q];
                mixRead += StateCount;
            }
            else sums[k] += e - s;
            runCount++;
            runStart = Math.Min(runStart, s);
            runEnd = Math.Max(runEnd, e);
            // runFirst must stay readable until Flush copies it: write <= i always, and write only
            // reaches runFirst after this run is flushed, because each flush writes one span per run.
            if (runEnd - runStart >= thresholdNs) Flush();
        }
        Flush();
        Count = write;
        MixNs = newMix;
        return write;
    }
}
