using GilTracer.Core.Analyze;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Analyze;

/// <summary>
/// top's analysis: frames per interval and 1/5/15-minute windows from per-second buckets, all differences of the
/// running totals (snapshots), so that they add up to the totals; the counters metrics expose never go back and never
/// grow faster than the thread's life; threads gone for 15 minutes are forgotten.
/// </summary>
public class LiveAnalysisTests
{
    const int Pid = 100, A = 101, B = 102;
    const long Ms = 1_000_000, S = 1_000_000_000;

    static TraceEvent E(EventKind kind, int tid, long ns) => new(kind, ns, Pid, tid);

    /// <summary>Two threads from <paramref name="from"/> to <paramref name="to"/>: calm (each takes a free GIL for 2 ms
    /// every 10 ms, never both), or contended (they hand the GIL over every 5 ms, each waiting while the other holds).</summary>
    static IEnumerable<TraceEvent> Phase(long from, long to, bool contended)
    {
        if (!contended)
        {
            for (long t = from; t + 10 * Ms <= to; t += 10 * Ms)
                foreach (var (tid, at) in new[] { (A, t), (B, t + 5 * Ms) })
                {
                    yield return E(EventKind.TakeGil, tid, at);
                    yield return E(EventKind.TakeGilReturn, tid, at + 1000);
                    yield return E(EventKind.DropGil, tid, at + 2 * Ms);
                    yield return E(EventKind.DropGilReturn, tid, at + 2 * Ms + 1000);
                }
            yield break;
        }
        // A takes the GIL first; B waits from the start; every 5 ms the holder drops it and waits for it again
        yield return E(EventKind.TakeGil, A, from);
        yield return E(EventKind.TakeGilReturn, A, from + 1000);
        yield return E(EventKind.TakeGil, B, from + 2000);
        int holder = A, waiter = B;
        long now = from + 5 * Ms;
        for (; now + 5 * Ms <= to; now += 5 * Ms)
        {
            yield return E(EventKind.DropGil, holder, now);
            yield return E(EventKind.TakeGilReturn, waiter, now + 1000);
            yield return E(EventKind.DropGilReturn, holder, now + 2000);
            yield return E(EventKind.TakeGil, holder, now + 3000);
            (holder, waiter) = (waiter, holder);
        }
        // end calm: the holder drops it, the waiter takes and drops it
        yield return E(EventKind.DropGil, holder, now);
        yield return E(EventKind.TakeGilReturn, waiter, now + 1000);
        yield return E(EventKind.DropGilReturn, holder, now + 2000);
        yield return E(EventKind.DropGil, waiter, now + 3000);
        yield return E(EventKind.DropGilReturn, waiter, now + 4000);
    }

    static LiveAnalysis NewLive(long start, long interval) =>
        new(new AnalysisSetup { Window = new RecordingWindow(start, start, new HashSet<int> { A, B }, new HashSet<int>()) }, start, interval);

    /// <summary>Feeds the events in time order, stopping the watermark at every boundary as the live loop does.</summary>
    internal static List<LiveFrame> Drive(LiveAnalysis live, IEnumerable<TraceEvent> events, long until, Action<LiveAnalysis>? atEachStep = null)
    {
        var frames = new List<LiveFrame>();
        using var e = events.GetEnumerator();
        bool more = e.MoveNext();
        while (live.WatermarkNs < until)
        {
            long next = Math.Min(live.NextBoundaryNs, until);
            while (more && e.Current.TimestampNs <= next) { live.Process(e.Current); more = e.MoveNext(); }
            if (live.Advance(next) is { } f) frames.Add(f);
            atEachStep?.Invoke(live);
        }
        return frames;
    }

    [Fact]
    public void EachIntervalShowsWhatHappenedInItCalmContendedCalm()
    {
        long start = 10 * S;
        var events = Phase(start, start + 3 * S, false).Concat(Phase(start + 3 * S, start + 6 * S, true)).Concat(Phase(start + 6 * S, start + 9 * S, false));
        var frames = Drive(NewLive(start, S), events, start + 9 * S);
        Assert.Equal(9, frames.Count);
        for (int i = 0; i < 9; i++)
        {
            var f = frames[i];
            Assert.Equal(start + (i + 1) * S, f.AtNs);
            Assert.Equal(S, f.IntervalNs);
            Assert.Equal(2, f.Threads.Count);
            bool contended = i is >= 3 and < 6;
            foreach (var t in f.Threads)
            {
                Assert.Equal(S, t.Interval.LifeNs);
                if (contended) Assert.InRange(t.Interval.WaitPct, 45, 55);
                else Assert.InRange(t.Interval.WaitPct, 0, 0.01);
                Assert.InRange(t.Interval.WaitPct + t.Interval.HoldPct + t.Interval.NoGilPct, 99.99, 100.01);
            }
            Assert.Single(f.Gils);
            Assert.InRange(f.Gils[0].HeldPct, contended ? 99 : 39, contended ? 100 : 41);
        }
        // the minute window holds all nine seconds: a third of them contended
        foreach (var t in frames[^1].Threads)
        {
            Assert.Equal(9 * S, t.Minute1.LifeNs);
            Assert.Equal(t.Minute1, t.Minute15);
            Assert.InRange(t.Minute1.WaitPct, 15, 18.5);
        }
    }

    [Fact]
    public void FramesAddUpToTheTotalsAndWindowsToTheirSeconds()
    {
        long start = 10 * S;
        var events = Phase(start, start + 2 * S, true).Concat(Phase(start + 2 * S, start + 4 * S, false)).ToList();
        var live = NewLive(start, 250 * Ms); // intervals shorter than the buckets
        var frames = Drive(live, events, start + 4 * S);
        Assert.Equal(16, frames.Count);
        var totals = live.Snapshot();
        foreach (var tid in new[] { A, B })
        {
            var sum = frames.SelectMany(f => f.Threads).Where(t => t.Tid == tid).Aggregate(default(LifeShares), (s, t) => s + t.Interval);
            var total = totals.Threads.Single(t => t.Tid == tid);
            Assert.Equal(total.TotalNs, sum.LifeNs);
            Assert.Equal(total.WaitNs, sum.WaitNs);
            Assert.Equal(total.HoldNs, sum.HoldNs);
            Assert.Equal(total.Acquisitions, sum.Acquisitions);
            Assert.Equal(sum, frames[^1].Threads.Single(t => t.Tid == tid).Minute5);
        }
    }

    [Fact]
    public void ExposedCountersNeverGoBackNorOutgrowLife()
    {
        var events = TestSupport.ReadText(File.ReadAllText(TestSupport.DataPath("two_threads_gil.txt")));
        long start = events.First(e => e.TimestampNs > 0).TimestampNs, end = events[^1].TimestampNs;
        var live = new LiveAnalysis(new AnalysisSetup(), start, Ms / 2); // the recording lasts 4 ms
        var last = new Dictionary<int, ThreadSummary>();
        long lastHeld = 0;
        // a snapshot after every event and at every boundary, as scrapes may come at any time
        void Check(LiveAnalysis l)
        {
            var r = l.Snapshot();
            foreach (var t in r.Threads)
            {
                Assert.True(t.WaitNs + t.HoldNs <= t.TotalNs, $"{t.Tid}: wait + hold beyond its life");
                if (last.TryGetValue(t.Tid, out var before))
                {
                    long life = t.TotalNs - before.TotalNs;
                    Assert.InRange(t.WaitNs - before.WaitNs, 0, life);
                    Assert.InRange(t.HoldNs - before.HoldNs, 0, life);
                    Assert.True(t.Acquisitions >= before.Acquisitions);
                }
                last[t.Tid] = t;
            }
            foreach (var g in r.Gils)
            {
                Assert.True(g.HeldNs >= lastHeld);
                lastHeld = g.HeldNs;
                Assert.Equal(g.Acquisitions, g.Waits!.Count);
            }
        }
        var frames = Drive(live, events.Where(e => e.TimestampNs > 0).SelectMany(e => new[] { e }), end + 1, Check);
        Assert.NotEmpty(frames);
        Assert.True(last.Count >= 2);
    }

    [Fact]
    public void ThreadsGoneForFifteenMinutesAreForgotten()
    {
        long start = 10 * S;
        const int C = 103;
        var events = new List<TraceEvent>
        {
            E(EventKind.TakeGil, C, start + S), E(EventKind.TakeGilReturn, C, start + S + 1000), E(EventKind.DropGil, C, start + S + Ms),
            E(EventKind.DropGilReturn, C, start + S + Ms + 1000), E(EventKind.Exit, C, start + 2 * S),
            E(EventKind.TakeGil, A, start + S), E(EventKind.TakeGilReturn, A, start + S + 1000),
        };
        events.Sort((x, y) => x.TimestampNs.CompareTo(y.TimestampNs));
        var live = NewLive(start, 60 * S);
        Drive(live, events, start + 10 * S);
        Assert.Contains(live.Snapshot().Threads, t => t.Tid == C);
        Drive(live, [], start + 2 * S + LiveAnalysis.RetireAfterNs + 20 * S);
        var r = live.Snapshot();
        Assert.DoesNotContain(r.Threads, t => t.Tid == C);
        var a = Assert.Single(r.Threads);
        Assert.Equal(A, a.Tid); // still holding the GIL, alive: kept, its hold counted up to the watermark
        Assert.Equal(live.WatermarkNs - start - S - 1000, a.HoldNs);
    }

    [Fact]
    public void AThreadFirstSeenLateCountsFromTheSecondItAppearsIn()
    {
        // B exists from the start but sleeps without the GIL for 5 s: its first second holds at most a second
        long start = 10 * S;
        var events = new[] { E(EventKind.TakeGil, B, start + 5 * S + 500 * Ms), E(EventKind.TakeGilReturn, B, start + 5 * S + 500 * Ms + 1000) };
        var frames = Drive(NewLive(start, S), events, start + 7 * S);
        var sixth = Assert.Single(frames[5].Threads);
        Assert.Equal(S, sixth.Interval.LifeNs);
        Assert.InRange(sixth.Interval.HoldPct, 49.9, 50.1);
        Assert.Equal(2 * S, frames[6].Threads.Single().Minute1.LifeNs);
    }
}
