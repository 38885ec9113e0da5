using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Decode;

/// <summary>
/// The pipe-mode reader (what top reads from `perf record -o -`) against perf's own decoding of the same real
/// recordings (TestData/perfdata/*.pipe.data and `perf script -i -`'s text beside each; make_fixtures.sh makes both):
/// the same events, whatever the sizes of the chunks the bytes arrive in and however the releases cut the stream.
/// </summary>
public class PerfPipeReaderTests
{
    static List<TraceEvent> Read(byte[] bytes, int chunk, long releaseStepNs)
    {
        var reader = new PerfPipeReader();
        var events = new List<TraceEvent>();
        long released = 0;
        for (int at = 0; at < bytes.Length; at += chunk)
        {
            reader.Feed(bytes.AsSpan(at, Math.Min(chunk, bytes.Length - at)));
            // release up to a little before the newest event decoded, as a live stream would (none older can come then)
            if (releaseStepNs > 0 && reader.NewestNs - 50_000_000 > released + releaseStepNs)
            {
                released = reader.NewestNs - 50_000_000;
                reader.Release(released, events.Add);
            }
        }
        reader.ReleaseAll(events.Add);
        Assert.Equal(bytes.Length, reader.Fed);
        Assert.Equal(bytes.Length, reader.Parsed);
        Assert.False(reader.Truncated);
        return events;
    }

    [Theory]
    [InlineData("gil", 1 << 20, 0)]
    [InlineData("gil", 1, 0)]
    [InlineData("gil", 7, 1_000_000)]
    [InlineData("gil", 4096, 10_000_000)]
    [InlineData("lost", 1 << 20, 0)]
    [InlineData("lost", 333, 5_000_000)]
    public void SameEventsAsPerfScriptWhateverTheChunks(string name, int chunk, long releaseStepNs)
    {
        using var f = File.OpenRead(PerfDataReaderTests.Fixture(name + ".pipe.script.txt"));
        var text = new PerfScriptTextReader().Read(f).ToList();
        var pipe = Read(File.ReadAllBytes(PerfDataReaderTests.Fixture(name + ".pipe.data")), chunk, releaseStepNs);
        PerfDataVsTextReaderTests.AssertSameStreams(text, pipe);
        var report = PerfDataVsTextReaderTests.Analyze(pipe);
        PerfDataVsTextReaderTests.AssertSameReports(PerfDataVsTextReaderTests.Analyze(text), report);
        Assert.NotEmpty(report.Threads);
        if (name == "lost") Assert.True(report.LostEvents > 0);
    }

    [Fact]
    public void ThreadsAreNamedAndEventsComeInTimeOrder()
    {
        var events = Read(File.ReadAllBytes(PerfDataReaderTests.Fixture("gil.pipe.data")), 1000, 2_000_000);
        Assert.Contains(events, e => e.Kind == EventKind.TakeGil);
        Assert.All(events.Where(e => e.Kind != EventKind.Lost), e => Assert.Equal("python3.11", e.Comm));
        for (int i = 1; i < events.Count; i++) Assert.True(events[i].TimestampNs >= events[i - 1].TimestampNs, $"event {i} goes back in time");
        Assert.Contains(events, e => e.Kind == EventKind.Exit); // thread ends, as a live view needs them
    }

    [Fact]
    public void NothingIsReleasedBeyondTheTimeGiven()
    {
        var reader = new PerfPipeReader();
        reader.Feed(File.ReadAllBytes(PerfDataReaderTests.Fixture("gil.pipe.data")));
        var first = new List<TraceEvent>();
        long cut = reader.NewestNs - 5_000_000;
        reader.Release(cut, first.Add);
        Assert.All(first, e => Assert.True(e.TimestampNs <= cut));
        Assert.True(reader.Pending > 0);
        var rest = new List<TraceEvent>();
        reader.ReleaseAll(rest.Add);
        Assert.All(rest, e => Assert.True(e.TimestampNs > cut));
        Assert.Equal(0, reader.Pending);
    }

    [Fact]
    public void AStreamCutShortGivesWhatItHeldAndSaysSo()
    {
        var bytes = File.ReadAllBytes(PerfDataReaderTests.Fixture("gil.pipe.data"));
        var reader = new PerfPipeReader();
        reader.Feed(bytes.AsSpan(0, bytes.Length - 13));
        var events = new List<TraceEvent>();
        reader.ReleaseAll(events.Add);
        Assert.True(reader.Truncated);
        Assert.NotEmpty(events);
    }

    [Fact]
    public void APerfDataFileIsNotAPipe()
    {
        var e = Assert.Throws<GilTracerException>(() => new PerfPipeReader().Feed(File.ReadAllBytes(PerfDataReaderTests.Fixture("gil.perf.data"))));
        Assert.Contains("not perf record's pipe output", e.Message);
        e = Assert.Throws<GilTracerException>(() => new PerfPipeReader().Feed("hello, this is not perf data at all"u8));
        Assert.Contains("no PERFILE2 magic", e.Message);
    }

    [Fact]
    public void GarbageAfterTheHeaderIsOneClearError()
    {
        var bytes = File.ReadAllBytes(PerfDataReaderTests.Fixture("gil.pipe.data"));
        var random = new Random(15);
        for (int trial = 0; trial < 200; trial++)
        {
            var damaged = (byte[])bytes.Clone();
            for (int k = 0; k < 8; k++) damaged[random.Next(16, damaged.Length)] = (byte)random.Next(256);
            try
            {
                var reader = new PerfPipeReader();
                reader.Feed(damaged);
                reader.ReleaseAll(_ => { });
            }
            catch (GilTracerException) { } // the one error users may see; anything else fails the test
        }
    }
}
