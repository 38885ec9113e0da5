using GilTracer.Core.Model;

namespace GilTracer.Core.Render.Html;

/// <summary>
/// Keeps every thread's GIL and sched spans for the report, within a budget: past
/// <see cref="MaxStoredSpans"/> it merges the shortest spans (sub-pixel at any sensible zoom) into
/// mixed spans, doubling the merge threshold until the store fits in half the budget again.
/// </summary>
internal sealed class SpanCollector
{
    public const int GilStates = 4;   // GilState: NoGil, Wait, Hold, Release
    public const int SchedStates = 5; // SchedState: Running, Runnable, Sleeping, SleepingGil, Disk

    readonly Dictionary<(int Pid, int Tid), LaneSpans> _gil = new();
    readonly Dictionary<(int Pid, int Tid), LaneSpans> _sched = new();

    long _compactAt;

    public SpanCollector(int maxStoredSpans)
    {
        MaxStoredSpans = Math.Max(1000, maxStoredSpans);
        _compactAt = MaxStoredSpans;
    }

    public int MaxStoredSpans { get; }
    public long ReceivedSpans { get; private set; }
    public long StoredSpans { get; private set; }
    /// <summary>0 while every span is kept exactly; else spans shorter than this were merged.</summary>
    public long MergeThresholdNs { get; private set; }

    public IEnumerable<LaneSpans> GilLanes => _gil.Values;
    public IEnumerable<LaneSpans> SchedLanes => _sched.Values;
    public bool HasSched => _sched.Count > 0;

    public LaneSpans? Gil(int pid, int tid) => _gil.GetValueOrDefault((pid, tid));
    public LaneSpans? Sched(int pid, int tid) => _sched.GetValueOrDefault((pid, tid));

    public void AddGil(in GilInterval i) => Add(_gil, i.Pid, i.Tid, i.StartNs, i.EndNs, (byte)i.State, GilStates);

    public void AddSched(in SchedInterval i) => Add(_sched, i.Pid, i.Tid, i.StartNs, i.EndNs, (byte)i.State, SchedStates);

    void Add(Dictionary<(int, int), LaneSpans> lanes, int pid, int tid, long start, long end, byte state, int stateCount)
    {
        if (state >= stateCount) return;
        if (!lanes.TryGetValue((pid, tid), out var lane))
            lanes[(pid, tid)] = lane = new LaneSpans(pid, tid, stateCount);
        lane.Add(start, end, state);
        ReceivedSpans++;
        StoredSpans++;
        if (StoredSpans > _compactAt) Downsample();
    }

    void Downsample()
    {
        long threshold = MergeThresholdNs == 0 ? 1_000 : MergeThresholdNs;
        while (true)
        {
            long stored = 0;
            foreach (var lane in _gil.Values) stored += lane.Compact(threshold);
            foreach (var lane in _sched.Values) stored += lane.Compact(threshold);
            StoredSpans = stored;
            MergeThresholdNs = threshold;
            // a store of many lanes may not fit however coarse; stop once nothing more merges
            if (stored <= MaxStoredSpans / 2 || threshold > (1L << 50))
            {
                _compactAt = Math.Max(MaxStoredSpans, stored + MaxStoredSpans / 2);
                return;
            }
            threshold *= 2;
        }
    }

    public void SortAll()
    {
        foreach (var lane in _gil.Values) lane.SortIfNeeded();
        foreach (var lane in _sched.Values) lane.SortIfNeeded();
    }
}
