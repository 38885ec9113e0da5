using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Bench;

/// <summary>Each benchmark handles every event of one committed input once; <see cref="Inputs"/> says how many.</summary>
[MemoryDiagnoser]
public class EventRate
{
    byte[] _text = [];
    TraceEvent[] _events = [];

    [GlobalSetup]
    public void Setup()
    {
        _text = File.ReadAllBytes(Inputs.Text);
        _events = new PerfDataReader(Inputs.GilData).ReadEvents().ToArray();
    }

    /// <summary>The native reader on `run --state` GIL probes (perf.data).</summary>
    [Benchmark]
    public long PerfDataGil() => Count(new PerfDataReader(Inputs.GilData).ReadEvents());

    /// <summary>The native reader on the sched tracepoints of the same run (sched.data).</summary>
    [Benchmark]
    public long PerfDataSched() => Count(new PerfDataReader(Inputs.SchedData).ReadEvents());

    /// <summary>The text reader on `perf script --ns` output (from memory: the file read is not its cost).</summary>
    [Benchmark]
    public long PerfScriptText() => Count(new PerfScriptTextReader().Read(new MemoryStream(_text, writable: false)));

    /// <summary>The GIL analyzer on perf.data's events, read beforehand.</summary>
    [Benchmark]
    public int GilAnalysis()
    {
        var gil = new GilAnalyzer();
        foreach (var e in _events) gil.Process(e);
        return gil.Finish().Threads.Count;
    }

    static long Count(IEnumerable<TraceEvent> events)
    {
        long n = 0;
        foreach (var _ in events) n++;
        return n;
    }
}

/// <summary>The committed inputs, and how many events each benchmark handles (counted once, in the host process).</summary>
public static class Inputs
{
    static readonly string TestData = Path.GetFullPath(Path.Combine(Here(), "..", "..", "tests", "GilTracer.Tests", "TestData"));
    public static readonly string GilData = Path.Combine(TestData, "run", "perf.data");
    public static readonly string SchedData = Path.Combine(TestData, "run", "sched.data");
    public static readonly string Text = Path.Combine(TestData, "perfdata", "lost.script.txt");

    static readonly Lazy<Dictionary<string, long>> Counts = new(() =>
    {
        long gil = new PerfDataReader(GilData).ReadEvents().LongCount();
        using var text = File.OpenRead(Text);
        return new()
        {
            [nameof(EventRate.PerfDataGil)] = gil,
            [nameof(EventRate.PerfDataSched)] = new PerfDataReader(SchedData).ReadEvents().LongCount(),
            [nameof(EventRate.PerfScriptText)] = new PerfScriptTextReader().Read(text).LongCount(),
            [nameof(EventRate.GilAnalysis)] = gil,
        };
    });

    public static long EventsOf(string benchmark) => Counts.Value.GetValueOrDefault(benchmark);

    // this file's folder when it was compiled: found the same from the host and from BenchmarkDotNet's child process
    static string Here([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
