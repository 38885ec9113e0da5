using System.Text;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;
using GilTracer.Tests.Analyze;

namespace GilTracer.Tests.Decode;

public class FunctionTraceReaderTests
{
    [Fact]
    public void ReadsARealTrace()
    {
        var dir = BlameFixtures.Dir("hog312");
        var t = FunctionTraceReader.Read(dir);
        Assert.Equal("3.12.1", t.PythonVersion);
        Assert.Equal("monitoring", t.Mode);
        Assert.Equal((new FileInfo(Path.Combine(dir, "functions.bin")).Length - 16) / 16, t.Records.Length);
        Assert.Equal(t.Records.Length, t.Stats!.Events);
        Assert.Equal(["MainThread", "hog", "needy-1", "needy-2"], t.ThreadNames.Values.Order(StringComparer.Ordinal));
        var hog = t.Functions.Values.Single(f => f.Name == "hog_the_gil");
        Assert.Equal("hog_the_gil (hog_the_gil.py:11)", hog.Display);
        Assert.Equal("time.sleep", t.Functions.Values.Single(f => f.Name == "time.sleep").Display);
        Assert.False(t.Truncated);
        // per thread, time only goes forward
        foreach (var g in t.Records.GroupBy(r => r.Tid))
            Assert.True(g.Zip(g.Skip(1)).All(p => p.First.TimestampNs <= p.Second.TimestampNs));
    }

    [Fact]
    public void AFileCutMidRecordIsReadUpToItsLastWholeRecord()
    {
        var dir = BlameFixtures.Dir("hog38");
        var bytes = File.ReadAllBytes(Path.Combine(dir, "functions.bin"));
        var names = File.ReadAllBytes(Path.Combine(dir, "functions.names.jsonl"));
        // as a crash leaves it: records cut mid-way, the names file cut mid-line
        var t = FunctionTraceReader.Read(new MemoryStream(bytes[..^7]), new MemoryStream(names[..^5]));
        Assert.True(t.Truncated);
        Assert.Equal((bytes.Length - 16) / 16 - 1, t.Records.Length);
    }

    [Fact]
    public void NotATraceIsOneClearError()
    {
        var e = Assert.Throws<GilTracerException>(() =>
            FunctionTraceReader.Read(new MemoryStream(Encoding.ASCII.GetBytes("hello, this is not a trace")), new MemoryStream()));
        Assert.Contains("GILFUNC1", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Throws<GilTracerException>(() => FunctionTraceReader.Read("/nonexistent/functions"));
    }

    [Fact]
    public void EmptyTraceHasNoRecords()
    {
        var header = "GILFUNC1"u8.ToArray().Concat(new byte[] { 16, 0, 0, 0, 0, 0, 0, 0 }).ToArray();
        var t = FunctionTraceReader.Read(new MemoryStream(header), new MemoryStream());
        Assert.Empty(t.Records);
        Assert.False(t.Truncated);
    }

    /// <summary>Found by fuzzing (fuzz/run.sh functions): JSON lines of the names file with a field missing or of another
    /// type threw KeyNotFoundException or InvalidOperationException.</summary>
    [Theory]
    [InlineData("{\"k\":\"code\",\"name\":\"f\",\"file\":\"a.py\",\"line\":1}")]
    [InlineData("{\"k\":\"code\",\"id\":\"1\",\"name\":\"f\",\"file\":\"a.py\",\"line\":1}")]
    [InlineData("{\"k\":\"code\",\"id\":1,\"name\":2,\"file\":\"a.py\",\"line\":1}")]
    [InlineData("{\"k\":\"code\",\"id\":1e40,\"name\":\"f\",\"file\":\"a.py\",\"line\":1}")]
    [InlineData("{\"k\":\"thread\",\"name\":\"t\"}")]
    [InlineData("{\"k\":\"start\",\"pid\":1}")]
    [InlineData("{\"k\":\"mode\"}")]
    [InlineData("{\"k\":\"stats\",\"events\":1}")]
    [InlineData("{\"k\":7}")]
    public void ANamesLineThatIsNotOursIsOneClearError(string line)
    {
        var header = "GILFUNC1"u8.ToArray().Concat(new byte[] { 16, 0, 0, 0, 0, 0, 0, 0 }).ToArray();
        var names = Encoding.UTF8.GetBytes(line + "\n{\"k\":\"mode\",\"mode\":\"monitoring\"}\n");
        var e = Assert.Throws<GilTracerException>(() => FunctionTraceReader.Read(new MemoryStream(header), new MemoryStream(names), "t/functions.bin"));
        Assert.StartsWith("t/functions.bin: names line 1 is not a function tracer record", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }
}
