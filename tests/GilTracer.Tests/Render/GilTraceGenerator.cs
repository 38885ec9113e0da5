using GilTracer.Core.Model;

namespace GilTracer.Tests.Render;

/// <summary>
/// Makes GIL timelines shaped like real ones (the seed's two_threads: workers handing the GIL over at
/// the 5 ms switch interval, each release answered by the waiter's take_gil return; a main thread that
/// starts them and sleeps in join) and the GilReport that follows from those intervals, so the browser
/// tests can compare the page with numbers they know. Deterministic for a given seed.
/// </summary>
internal sealed class GilTraceGenerator
{
    public const int Pid = 4180;
    public readonly List<GilInterval> Intervals = new();
    public readonly List<SchedInterval> Sched = new();
    readonly Random _rng;

    public GilTraceGenerator(int seed = 1) => _rng = new Random(seed);

    /// <summary>
    /// Workers contend for the GIL: the holder keeps it for about <paramref name="holdNs"/>, then drops it and
    /// at once asks for it again, so every worker alternates hold → release → wait. Stops after
    /// <paramref name="targetSpans"/> spans or <paramref name="durationNs"/>.
    /// </summary>
    public GilReport Contention(string[] workerNames, long holdNs, long durationNs, int targetSpans = int.MaxValue, bool withSched = false)
    {
        const long t0 = 1_000_000_000_000; // monotonic clocks start far from 0
        int mainTid = Pid;
        var tids = workerNames.Select((_, i) => Pid + 1 + i).ToArray();
        long startWorkers = t0 + 2_000_000;
        // main: holds while starting threads, then sleeps in join without the GIL
        Add(mainTid, t0, startWorkers, GilState.Hold);
        Add(mainTid, startWorkers, startWorkers + 30_000, GilState.Release);
        long end = startWorkers + durationNs;
        // every worker waits until its first turn
        var waitingSince = tids.Select(_ => startWorkers).ToArray();
        var lastEnd = tids.Select(_ => startWorkers).ToArray();
        long now = startWorkers + 30_000;
        int holder = 0;
        while (now < end && Intervals.Count < targetSpans)
        {
            int tid = tids[holder];
            // the waiter's wait ends when it gets the GIL
            if (waitingSince[holder] < now) Add(tid, waitingSince[holder], now, GilState.Wait);
            long hold = Math.Max(1_000, (long)(holdNs * (0.7 + 0.6 * _rng.NextDouble())));
            long release = 5_000 + _rng.Next(20_000);
            Add(tid, now, now + hold, GilState.Hold);
            Add(tid, now + hold, now + hold + release, GilState.Release);
            // a little pure-C work without the GIL now and then, then ask again
            long nogil = _rng.Next(4) == 0 ? _rng.Next(50_000) : 0;
            if (nogil > 0) Add(tid, now + hold + release, now + hold + release + nogil, GilState.NoGil);
            waitingSince[holder] = now + hold + release + nogil;
            lastEnd[holder] = waitingSince[holder];
            now += hold + release / 2; // the next holder gets the GIL while the dropper is still releasing
            holder = (holder + 1) % tids.Length;
        }
        long stop = now;
        for (int i = 0; i < tids.Length; i++)
            if (waitingSince[i] < stop) Add(tids[i], waitingSince[i], stop, GilState.Wait);
        // main wakes from join and holds the GIL to the end
        Add(mainTid, startWorkers + 30_000, stop, GilState.NoGil);
        Add(mainTid, stop, stop + 1_000_000, GilState.Hold);
        if (withSched) MakeSched();
        return BuildReport(t0, stop + 1_000_000, mainTid, new[] { "MainThread" }.Concat(workerNames).ToArray(), new[] { mainTid }.Concat(tids).ToArray());
    }

    void Add(int tid, long s, long e, GilState st) => Intervals.Add(new GilInterval(Pid, tid, s, e, st));

    /// <summary>Sched states that agree with the GIL spans: waiting means S(GIL), holding means running (runnable now and then).</summary>
    void MakeSched()
    {
        foreach (var i in Intervals)
        {
            var st = i.State switch
            {
                GilState.Wait => SchedState.SleepingGil,
                GilState.NoGil => i.DurationNs > 1_000_000 ? SchedState.Sleeping : SchedState.Running,
                _ => _rng.Next(10) == 0 ? SchedState.Runnable : SchedState.Running,
            };
            Sched.Add(new SchedInterval(i.Pid, i.Tid, i.StartNs, i.EndNs, st));
        }
    }

    GilReport BuildReport(long start, long end, int mainTid, string[] names, int[] tids)
    {
        var threads = new List<ThreadSummary>();
        for (int k = 0; k < tids.Length; k++)
        {
            var mine = Intervals.Where(i => i.Tid == tids[k]).ToList();
            long s = mine.Min(i => i.StartNs), e = mine.Max(i => i.EndNs), total = e - s;
            long hold = mine.Where(i => i.State == GilState.Hold).Sum(i => i.DurationNs);
            long wait = mine.Where(i => i.State == GilState.Wait).Sum(i => i.DurationNs);
            ThreadStates? states = null;
            if (Sched.Count > 0)
            {
                var ss = Sched.Where(i => i.Tid == tids[k]).ToList();
                double P(SchedState st) => 100.0 * ss.Where(i => i.State == st).Sum(i => i.DurationNs) / total;
                states = new ThreadStates(P(SchedState.Running), P(SchedState.Runnable), P(SchedState.Sleeping), P(SchedState.SleepingGil), P(SchedState.Disk));
            }
            threads.Add(new ThreadSummary
            {
                Pid = Pid, Tid = tids[k], Name = names[k], IsMain = tids[k] == mainTid, StartNs = s, EndNs = e, HoldNs = hold, WaitNs = wait,
                Acquisitions = mine.Count(i => i.State == GilState.Hold), States = states,
            });
        }
        var waits = Intervals.Where(i => i.State == GilState.Wait).Select(i => i.DurationNs).Order().ToArray();
        long Pct(double p) => waits.Length == 0 ? 0 : waits[Math.Min(waits.Length - 1, (int)(p * waits.Length))];
        var holds = Intervals.Where(i => i.State == GilState.Hold).ToList();
        var gil = new GilSummary(Pid, 100.0 * holds.Sum(i => i.DurationNs) / (end - start), holds.Count, holds.Count - 1,
            Pct(0.5), Pct(0.9), Pct(0.99), waits.LastOrDefault(), holds.Max(i => i.DurationNs), 0, start, end);
        return new GilReport { StartNs = start, EndNs = end, ExitCode = 0, EventCount = Intervals.Count * 2, Threads = threads, Gils = [gil] };
    }
}
