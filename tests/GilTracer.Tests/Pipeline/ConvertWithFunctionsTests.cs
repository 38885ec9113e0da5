using System.IO.Compression;
using System.Text.Json;
using GilTracer.Core.Model;
using GilTracer.Core.Pipeline;
using GilTracer.Tests.Analyze;

namespace GilTracer.Tests.Pipeline;

/// <summary>`convert gil perf.txt --functions DIR` on the real 3.8 recording: the same outputs as run --functions.</summary>
public class ConvertWithFunctionsTests : IDisposable
{
    readonly string _tmp = Directory.CreateTempSubdirectory("giltracer-convert-fn-").FullName;
    public void Dispose() => Directory.Delete(_tmp, true);

    [Fact]
    public void ConvertJoinsAFunctionTrace()
    {
        var text = Path.Combine(_tmp, "perf.txt");
        using (var gz = new GZipStream(File.OpenRead(Path.Combine(BlameFixtures.Dir("hog38"), "perf.txt.gz")), CompressionMode.Decompress))
        using (var f = File.Create(text)) gz.CopyTo(f);
        var outDir = Path.Combine(_tmp, "out");
        var report = ConvertPipeline.Convert(text, ConvertMode.Gil, new OutputOptions(outDir), functionsDir: BlameFixtures.Dir("hog38"));
        Assert.Equal("hog_the_gil", report.Blame[0].Name);
        Assert.Equal("setprofile", report.FunctionTracing!.Mode);
        // thread names come from the tracer when there is no bootstrap file
        Assert.Contains(report.Threads, t => t.Name == "needy-1");
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")));
        Assert.Equal(report.Blame.Count, summary.RootElement.GetProperty("blame").GetArrayLength());
        Assert.True(summary.RootElement.GetProperty("who_blocks_whom").GetArrayLength() > 0);
        Assert.True(File.Exists(Path.Combine(outDir, "flame-offgil.svg")));
    }

    [Fact]
    public void AMissingFunctionTraceIsOneClearError()
    {
        var e = Assert.Throws<GilTracerException>(() => ConvertPipeline.Convert("/nonexistent", ConvertMode.Gil,
            new OutputOptions(Path.Combine(_tmp, "o")), functionsDir: _tmp));
        Assert.Contains("no function trace", e.Message);
    }
}
