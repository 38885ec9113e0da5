using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;
using GilTracer.Core.Pipeline;

namespace GilTracer.Tests.Analyze;

/// <summary>
/// Properties of the GIL analyzer over generated recordings: threads of one process contending for a simulated GIL,
/// then damaged as real recordings are (cut at both ends, so that threads are first seen mid-wait or mid-hold and
/// leave mid-state; duplicated events; perf's per-round disorder, undone by the orderer; lost events). For every
/// stream: every share ≥ 0; holds never overlap unless events were lost, and then a warning says so; wait and hold per
/// thread equal <see cref="Reference"/>, computed from the same stream by the rules of GilAnalyzer's header; and the
/// real outputs (summary.json, trace.json) are valid JSON keeping the names exact.
/// </summary>
public class GilAnalyzerPropertyTests
{
    const int Pid = 4242;

    /// <summary>What a generated recording looks like; everything else follows from Seed.</summary>
    public sealed record Scenario(int Threads, int Actions, int Seed, int CutStartPct, int CutEndPct, int DuplicateEvery, int RoundSize, int LatePct)
    {
        public override string ToString() =>
            $"threads {Threads}, actions {Actions}, seed {Seed}, cut {CutStartPct}-{CutEndPct} %, duplicate every {DuplicateEvery}, rounds of {RoundSize}, late {LatePct} %";
    }

    static readonly Arbitrary<Scenario> Scenarios = Arb.From(
        from threads in Gen.Choose(1, 5)
        from actions in Gen.Choose(0, 400)
        from seed in Gen.Choose(0, int.MaxValue - 1)
        from cutStart in Gen.Frequency((2, Gen.Constant(0)), (3, Gen.Choose(0, 60)))
        from cutEnd in Gen.Frequency((2, Gen.Constant(100)), (3, Gen.Choose(cutStart, 100)))
        from duplicateEvery in Gen.Frequency((2, Gen.Constant(0)), (3, Gen.Choose(1, 20)))
        from roundSize in Gen.Choose(1, 64)
        from latePct in Gen.Choose(0, 50)
        select new Scenario(threads, actions, seed, cutStart, cutEnd, duplicateEvery, roundSize, latePct));

    static void Check(int tests, Action<Scenario> property) =>
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(tests), Prop.ForAll(Scenarios, property));

    // ---- the generated recording -------------------------------------------------------------------------------

    /// <summary>
    /// A GIL simulated in time order: each thread runs without the GIL, enters take_gil, gets the GIL at once when it is
    /// free and nobody waits (returning 1 ns later), else waits until the holder drops it and hands it over (the
    /// dropper's drop_gil returns only after the next holder took it: the forced switch). Timestamps are distinct.
    /// </summary>
    static List<TraceEvent> Simulate(Scenario s)
    {
        var rng = new Random(s.Seed);
        var events = new List<TraceEvent>();
        long last = 1_000_000;
        long Emit(EventKind kind, int tid, long at)
        {
            at = Math.Max(at, last + 1);
            last = at;
            events.Add(new TraceEvent(kind, at, Pid, 1000 + tid, Comm: $"t{tid}"));
            return at;
        }
        var wantAt = Enumerable.Range(0, s.Threads).Select(_ => last + rng.Next(1, 50_000)).ToArray();
        var waiters = new List<int>();
        int holder = -1;
        long dropAt = long.MaxValue;
        for (int action = 0; action < s.Actions; action++)
        {
            int next = -1;
            for (int t = 0; t < s.Threads; t++)
                if (t != holder && !waiters.Contains(t) && (next < 0 || wantAt[t] < wantAt[next])) next = t;
            if (next >= 0 && (holder < 0 || wantAt[next] < dropAt))
            {
                long at = Emit(EventKind.TakeGil, next, wantAt[next]);
                if (holder < 0 && waiters.Count == 0)
                {
                    Emit(EventKind.TakeGilReturn, next, at + 1);
                    holder = next;
                    dropAt = last + rng.Next(1, 200_000);
                }
                else waiters.Add(next);
            }
            else if (holder >= 0)
            {
                Emit(EventKind.DropGil, holder, dropAt);
                int dropper = holder;
                if (waiters.Count > 0)
                {
                    holder = waiters[rng.Next(waiters.Count)];
                    waiters.Remove(holder);
                    Emit(EventKind.TakeGilReturn, holder, last + rng.Next(1, 30_000));
                    Emit(EventKind.DropGilReturn, dropper, last + rng.Next(1, 3_000));
                    dropAt = last + rng.Next(1, 200_000);
                }
                else
                {
                    Emit(EventKind.DropGilReturn, dropper, last + 1);
                    holder = -1;
                    dropAt = long.MaxValue;
                }
                wantAt[dropper] = last + rng.Next(1, 100_000);
            }
            for (int t = 0; t < s.Threads; t++) wantAt[t] = Math.Max(wantAt[t], last + 1 + t);
        }
        return events;
    }

    /// <summary>The recording as analyzed: cut at both ends, with duplicates (each right after its original).</summary>
    static List<TraceEvent> Recorded(Scenario s)
    {
        var all = Simulate(s);
        int from = all.Count * s.CutStartPct / 100, to = Math.Max(from, all.Count * s.CutEndPct / 100);
        var cut = all.GetRange(from, to - from);
        if (s.DuplicateEvery == 0) return cut;
        var withDuplicates = new List<TraceEvent>();
        for (int i = 0; i < cut.Count; i++)
        {
            withDuplicates.Add(cut[i]);
            if (i % s.DuplicateEvery == 0) withDuplicates.Add(cut[i]);
        }
        return withDuplicates;
    }

    /// <summary>
    /// As perf writes it: in rounds, each round in any order (CPU buffers written in turn), an event sometimes written
    /// one round late when it is newer than everything of the round before (perf's guarantee); then put back in order
    /// by the orderer the perf.data reader uses, flushing at each round's end.
    /// </summary>
    static List<TraceEvent> ThroughRounds(List<TraceEvent> sorted, Scenario s)
    {
        var rng = new Random(s.Seed ^ 0x5eed);
        var rounds = sorted.Chunk(s.RoundSize).Select(r => r.ToList()).ToList();
        var newest = rounds.Select(r => r[^1].TimestampNs).ToList();
        for (int k = 0; k + 1 < rounds.Count; k++)
        {
            long before = k == 0 ? long.MinValue : newest[k - 1];
            var late = rounds[k].Where(e => e.TimestampNs > before && rng.Next(100) < s.LatePct).ToList();
            foreach (var e in late) { rounds[k].Remove(e); rounds[k + 1].Add(e); }
        }
        var orderer = new PerfEventOrderer();
        var ready = new EventBuffer();
        var output = new List<TraceEvent>();
        void Take()
        {
            for (int i = 0; i < ready.Count; i++) output.Add(ready[i]);
            ready.Clear();
        }
        foreach (var round in rounds)
        {
            foreach (var e in round.OrderBy(_ => rng.Next())) orderer.Add(e);
            orderer.FlushRound(ready);
            Take();
        }
        orderer.FlushAll(ready);
        Take();
        Assert.Equal(0, orderer.OutOfOrder);
        return output;
    }

    static (GilReport Report, List<GilInterval> Intervals) Analyze(IEnumerable<TraceEvent> events)
    {
        var analyzer = new GilAnalyzer();
        var intervals = new Collect();
        analyzer.AddSink(intervals);
        foreach (var e in events) analyzer.Process(e);
        return (analyzer.Finish(), intervals.Gil);
    }

    sealed class Collect : IIntervalSink
    {
        public readonly List<GilInterval> Gil = new();
        public void OnGilInterval(in GilInterval interval) => Gil.Add(interval);
    }

    // ---- the reference -------------------------------------------------------------------------------------------

    /// <summary>
    /// Wait and hold per thread from the rules of GilAnalyzer's header, over the whole stream at once:
    /// hold = take_gil return → drop_gil entry; wait = take_gil entry → return if another thread held the GIL at some
    /// moment in between (a free GIL taken is no wait), and drop_gil entry → return if another thread was inside
    /// take_gil when the drop began (the forced-switch handover). A thread first seen mid-wait or mid-hold was so since
    /// the recording's first event (such a wait counts: it is assumed to be for somebody); a wait or hold still open at
    /// the end lasts to the recording's last event, and counts. Duplicates (same thread, kind and time) count once.
    /// </summary>
    static Dictionary<int, (long Wait, long Hold)> Reference(IReadOnlyList<TraceEvent> stream)
    {
        var events = stream.Where((e, i) => i == 0 || e != stream[i - 1]).ToList();
        var result = new Dictionary<int, (long Wait, long Hold)>();
        if (events.Count == 0) return result;
        long first = events[0].TimestampNs, end = events[^1].TimestampNs;
        var own = events.GroupBy(e => e.Tid).ToDictionary(g => g.Key, g => g.ToList());
        var inTakeGil = own.ToDictionary(o => o.Key, o => Spans(o.Value, EventKind.TakeGil, EventKind.TakeGilReturn, first, end));
        var holds = own.ToDictionary(o => o.Key, o => Spans(o.Value, EventKind.TakeGilReturn, EventKind.DropGil, first, end));
        bool OtherHolds(int tid, Span w) => holds.Any(h => h.Key != tid && h.Value.Any(s => s.From < w.To && w.From < s.To));
        bool OtherInTakeGil(int tid, long at) => inTakeGil.Any(w => w.Key != tid && w.Value.Any(s => s.From <= at && at < s.To));
        foreach (var (tid, list) in own)
        {
            long hold = holds[tid].Sum(s => s.To - s.From);
            long wait = inTakeGil[tid].Where(w => w.SinceStart || w.OpenAtEnd || OtherHolds(tid, w)).Sum(w => w.To - w.From);
            wait += Spans(list, EventKind.DropGil, EventKind.DropGilReturn, first, end)
                .Where(r => !r.SinceStart && !r.OpenAtEnd && OtherInTakeGil(tid, r.From)).Sum(r => r.To - r.From);
            result[tid] = (wait, hold);
        }
        return result;
    }

    /// <summary>[From, To) from an open event to the next close event of the thread; a close before any open (the
    /// thread's first event) makes a span since the recording's start, an open without a close one to its end.</summary>
    readonly record struct Span(long From, long To, bool SinceStart = false, bool OpenAtEnd = false);

    static List<Span> Spans(List<TraceEvent> own, EventKind open, EventKind close, long first, long end)
    {
        var spans = new List<Span>();
        long? since = null;
        for (int i = 0; i < own.Count; i++)
        {
            var e = own[i];
            if (e.Kind == open && since is null) since = e.TimestampNs;
            else if (e.Kind == close)
            {
                if (since is { } s) spans.Add(new Span(s, e.TimestampNs));
                else if (i == 0) spans.Add(new Span(first, e.TimestampNs, SinceStart: true));
                since = null;
            }
        }
        if (since is { } from) spans.Add(new Span(from, end, OpenAtEnd: true));
        return spans;
    }

    // ---- the properties ------------------------------------------------------------------------------------------

    /// <summary>300 recordings (GILTRACER_PROPERTY_TESTS=5000 for a longer search).</summary>
    [Fact]
    public void WaitAndHoldPerThreadEqualTheReference() => Check(int.Parse(Environment.GetEnvironmentVariable("GILTRACER_PROPERTY_TESTS") ?? "300"), s =>
    {
        var recorded = Recorded(s);
        var (report, _) = Analyze(ThroughRounds(recorded, s));
        var expected = Reference(recorded);
        Assert.Equal(expected.Keys.Order(), report.Threads.Select(t => t.Tid).Order());
        foreach (var t in report.Threads)
        {
            var (wait, hold) = expected[t.Tid];
            Assert.True(wait == t.WaitNs && hold == t.HoldNs,
                $"{s}: thread {t.Tid}: analyzer wait {t.WaitNs} hold {t.HoldNs}, reference wait {wait} hold {hold}");
        }
        if (s.DuplicateEvery > 0 && recorded.Count > 0) Assert.True(report.DuplicateEvents > 0, s.ToString());
    });

    [Fact]
    public void SharesAreNeverNegativeAndHoldsNeverOverlap() => Check(300, s =>
    {
        var (report, intervals) = Analyze(ThroughRounds(Recorded(s), s));
        foreach (var t in report.Threads)
        {
            Assert.True(t.NoGilPct >= 0 && t.HasGilPct >= 0 && t.GilWaitPct >= 0 && t.NoGilPct + t.HasGilPct + t.GilWaitPct <= 100.0001, $"{s}: {t}");
            Assert.True(t.WaitNs >= 0 && t.HoldNs >= 0 && t.ReleaseNs <= t.WaitNs, $"{s}: {t}");
        }
        foreach (var g in report.Gils) Assert.True(g.HeldPct >= 0 && g.HeldPct <= 100.0001 && g.OverlapViolations == 0, $"{s}: {g}");
        AssertNoOverlappingHolds(intervals, s.ToString());
        Assert.DoesNotContain(report.Warnings, w => w.Contains("lost") || w.Contains("while another thread still held"));
    });

    static void AssertNoOverlappingHolds(List<GilInterval> intervals, string what)
    {
        var holds = intervals.Where(i => i.State == GilState.Hold).OrderBy(i => i.StartNs).ToList();
        for (int i = 1; i < holds.Count; i++)
            Assert.True(holds[i].StartNs >= holds[i - 1].EndNs, $"{what}: holds overlap: {holds[i - 1]} and {holds[i]}");
    }

    [Fact]
    public void LostEventsAreSaidWhenHoldsOverlap() => Check(200, s =>
    {
        // perf lost a run of events: a LOST record where they were
        var recorded = Recorded(s with { DuplicateEvery = 0 });
        if (recorded.Count < 4) return;
        var rng = new Random(s.Seed);
        int at = rng.Next(recorded.Count - 2), count = rng.Next(1, Math.Min(40, recorded.Count - at));
        var damaged = recorded.Take(at).Append(new TraceEvent(EventKind.Lost, recorded[at].TimestampNs, -1, -1) { LostCount = count })
            .Concat(recorded.Skip(at + count)).ToList();
        var (report, intervals) = Analyze(damaged);
        Assert.Equal(count, report.LostEvents);
        Assert.Contains(report.Warnings, w => w.Contains($"perf lost {count} events"));
        var holds = intervals.Where(i => i.State == GilState.Hold).OrderBy(i => i.StartNs).ToList();
        bool overlap = holds.Zip(holds.Skip(1)).Any(p => p.Second.StartNs < p.First.EndNs);
        if (overlap || report.Gils.Any(g => g.OverlapViolations > 0))
            Assert.Contains(report.Warnings, w => w.Contains("lost"));
        foreach (var t in report.Threads) Assert.True(t.NoGilPct >= 0 && t.HasGilPct >= 0 && t.GilWaitPct >= 0, $"{s}: {t}");
    });

    /// <summary>Names as a program may set them: quotes, backslashes, controls, surrogates, markup.</summary>
    static readonly string[] Names = ["MainThread", "a\"b\\c", "\x1b[2J\u0007", "名前🙂", "</script><b>x</b>", "lone\ud800", "a;b\nc", ""];

    [Fact]
    public void EveryOutputIsValidJsonThroughTheRealOutputs() => Check(40, s =>
    {
        var events = ThroughRounds(Recorded(s), s);
        var names = Enumerable.Range(0, s.Threads).ToDictionary(t => 1000 + t, t => Names[(s.Seed + t) % Names.Length]);
        var dir = Integration.Repo.TempDir();
        try
        {
            var outputs = new OutputOptions(dir);
            var report = ReportPass.Run(new ListSource(events), new AnalysisSetup { PythonNames = names }, outputs, new PassOptions());
            using var summary = JsonDocument.Parse(File.ReadAllBytes(outputs.SummaryPath));
            using var trace = JsonDocument.Parse(File.ReadAllBytes(outputs.ChromeTracePath));
            var shown = summary.RootElement.GetProperty("threads").EnumerateArray()
                .ToDictionary(t => t.GetProperty("tid").GetInt32(), t => t.GetProperty("name").GetString());
            foreach (var t in report.Threads)
                if (!names[t.Tid].Contains('\ud800')) Assert.Equal(names[t.Tid], shown[t.Tid]); // a lone surrogate is not UTF-8: replaced
            Assert.Equal(JsonValueKind.Array, trace.RootElement.GetProperty("traceEvents").ValueKind);
        }
        finally { Directory.Delete(dir, true); }
    });

    sealed class ListSource(List<TraceEvent> events) : IEventSource
    {
        public IEnumerable<TraceEvent> Read(IProgress<double>? progress = null) => events;
        public DecodeResult Result => new() { Input = "generated", Events = events.Count, HasGilEvents = events.Count > 0 };
    }
}
