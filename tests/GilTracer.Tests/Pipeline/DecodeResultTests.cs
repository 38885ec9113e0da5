using System.Buffers.Binary;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;
using GilTracer.Core.Pipeline;
using GilTracer.Tests.Decode;

namespace GilTracer.Tests.Pipeline;

/// <summary>
/// What the readers find besides the events reaches the report (losses are said, not dropped), and a convert whose
/// checks fail writes nothing: outputs appear only when the whole pass succeeded.
/// </summary>
public sealed class DecodeResultTests : IDisposable
{
    readonly string _tmp = Directory.CreateTempSubdirectory("giltracer-decode-result-").FullName;
    public void Dispose() => Directory.Delete(_tmp, true);

    string Text(string content)
    {
        var path = Path.Combine(_tmp, $"{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, content);
        return path;
    }

    const string Sched = "python 5/5 [000] 1.000001: sched:sched_switch: prev_comm=python prev_pid=5 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120\n";
    const string Gil = "python 5/5 [000] 1.000002: g:take_gil: (1)\npython 5/5 [000] 1.000003: g:take_gil_ret: (1)\npython 5/5 [000] 1.000004: g:drop_gil: (1)\n";

    [Fact]
    public void AConvertWhoseChecksFailAfterTheLastEventLeavesNoOutputs()
    {
        var outDir = Path.Combine(_tmp, "out");
        // the text has events (so they were streamed), but none of the GIL: known only once it was all read
        var e = Assert.Throws<GilTracerException>(() => ConvertPipeline.Convert(Text(Sched + Sched), ConvertMode.Gil, new OutputOptions(outDir)));
        Assert.Contains("no take_gil/drop_gil probe events", e.Message);
        Assert.Empty(Directory.Exists(outDir) ? Directory.GetFiles(outDir) : []);
    }

    [Fact]
    public void APerfDataWithNoEventOfTheProgramFailsBeforeAnyOutputIsOpened()
    {
        var outDir = Path.Combine(_tmp, "out");
        var e = Assert.Throws<GilTracerException>(() => ConvertPipeline.Convert(PerfDataReaderTests.Fixture("gil.perf.data"), ConvertMode.Gil,
            new OutputOptions(outDir), pids: [1]));
        Assert.Contains("holds no events", e.Message);
        Assert.False(Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any());
    }

    [Fact]
    public void AFailedConvertKeepsTheOutputsOfTheLastGoodOne()
    {
        var outputs = new OutputOptions(Path.Combine(_tmp, "out"));
        ConvertPipeline.Convert(Text(Gil), ConvertMode.Gil, outputs);
        var before = File.ReadAllText(outputs.ChromeTracePath);
        Assert.Throws<GilTracerException>(() => ConvertPipeline.Convert(Text(Sched), ConvertMode.Gil, outputs));
        Assert.Equal(before, File.ReadAllText(outputs.ChromeTracePath));
        Assert.DoesNotContain(Directory.GetFiles(outputs.OutputDir), f => f.EndsWith(".partial"));
    }

    [Fact]
    public void OutputsThatAreNoPlainFileAreWrittenThroughNotReplaced()
    {
        var target = Path.Combine(_tmp, "target.json");
        var link = Path.Combine(_tmp, "link.json");
        File.WriteAllText(target, "old");
        File.CreateSymbolicLink(link, target);
        ConvertPipeline.Convert(Text(Gil), ConvertMode.Gil, new OutputOptions(Path.Combine(_tmp, "out"), SummaryJson: link, ChromeTrace: "/dev/null"));
        Assert.NotNull(new FileInfo(link).LinkTarget); // still the link, and the file it names has the summary
        Assert.Contains("\"threads\"", File.ReadAllText(target));
        Assert.True(File.GetUnixFileMode("/dev/null").HasFlag(UnixFileMode.OtherWrite)); // still the device
        Assert.Empty(Directory.GetFiles("/dev", "null.*.partial"));
    }

    [Fact]
    public void SamplesOfOtherEventsAreSaidToBeSkipped()
    {
        var text = Gil + "python 5/5 [000] 1.000005: probe:something_else: (1)\n" +
                   "python 5/5 [000] 1.000006: PERF_RECORD_COMM: python:5/5\n"; // perf's task records are not needed, not lost
        var report = ConvertPipeline.Convert(Text(text), ConvertMode.Gil, new OutputOptions(Path.Combine(_tmp, "out")));
        Assert.Contains("1 samples of events that are neither GIL probes nor sched tracepoints were skipped", report.Warnings);
        Assert.Contains("samples of events that are neither", File.ReadAllText(Path.Combine(_tmp, "out", "summary.json")));
    }

    [Fact]
    public void SamplesOfUnknownEventIdsAreSaidToBeSkipped()
    {
        // a copy of a real recording (several events, so samples carry their event's id) with one sample's id garbled
        var bytes = File.ReadAllBytes(PerfDataReaderTests.Fixture("sched.perf.data"));
        var reader = new PerfDataReader(PerfDataReaderTests.Fixture("sched.perf.data"));
        int idPos = SampleIdPosition(PerfDataReaderTests.Fixture("sched.perf.data"));
        long at = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(40)), end = at + (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(48));
        while (at < end && BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan((int)at)) != 9) // PERF_RECORD_SAMPLE
            at += BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan((int)at + 6));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan((int)at + idPos), 0xdead_beef_dead_beef);
        var copy = Path.Combine(_tmp, "garbled.perf.data");
        File.WriteAllBytes(copy, bytes);

        var garbled = new PerfDataReader(copy);
        Assert.Equal(reader.ReadEvents().Count() - 1, garbled.ReadEvents().Count());
        Assert.Equal(1, garbled.Result.UnknownIdSamples);
        var report = ConvertPipeline.Convert(copy, ConvertMode.Auto, new OutputOptions(Path.Combine(_tmp, "out")));
        Assert.Contains(report.Warnings, w => w.StartsWith("1 samples name an event id the perf.data header does not list"));
    }

    static int SampleIdPosition(string path)
    {
        using var f = File.OpenHandle(path);
        return PerfDataHeader.Read(f).Attrs[0].SampleIdPosition();
    }

    [Fact]
    public void CallStacksAndCountsAreToldInVerboseMode()
    {
        var lines = new List<string>();
        ConvertPipeline.Convert(TestSupport.DataPath("sched_stacks.txt"), ConvertMode.Auto, new OutputOptions(Path.Combine(_tmp, "out")),
            new PipelineEvents { Verbose = lines.Add });
        Assert.Contains(lines, l => l.Contains("sched_stacks.txt: 31 events decoded") && l.Contains("call stacks: yes"));
    }
}
