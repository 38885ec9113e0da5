using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Core.Pipeline;

public enum ConvertMode { Gil, Sched, Auto }

/// <summary>`giltracer convert`: the same outputs as `run`, from an existing recording (perf script text, stdin or perf.data).</summary>
public static class ConvertPipeline
{
    public static GilReport Convert(string input, ConvertMode mode, OutputOptions outputs, PipelineEvents? ev = null,
        IReadOnlyDictionary<int, string>? pythonNames = null, string? functionsDir = null)
    {
        var reader = new PerfScriptTextReader();
        FunctionAttribution? fn = null;
        if (functionsDir is not null)
            fn = FunctionAttribution.Load(functionsDir) ?? throw new GilTracerException($"no function trace in {functionsDir} (expected {FunctionTraceReader.RecordsFile})");
        GilReport report;
        if (input == "-")
            report = AnalysisPipeline.Analyze(reader.Read(Console.OpenStandardInput()), outputs, pythonNames, null, fn);
        else
        {
            if (!File.Exists(input)) throw new GilTracerException($"input not found: {input}");
            if (IsPerfData(input))
                return ConvertPerfData(input, mode, outputs, ev, pythonNames, fn);
            else
            {
                using var f = File.OpenRead(input);
                report = AnalysisPipeline.Analyze(reader.Read(f), outputs, pythonNames, null, fn);
            }
        }
        Check(reader, input, mode);
        if (reader.Truncated) report.Warnings.Add("the input ends in the middle of a line: the recording looks truncated");
        if (reader.MalformedLines > 0) report.Warnings.Add($"{reader.MalformedLines} lines were not understood and skipped");
        return report;
    }

    /// <summary>perf.data read natively (no perf script): same events as the text path, many times faster.</summary>
    static GilReport ConvertPerfData(string input, ConvertMode mode, OutputOptions outputs, PipelineEvents? ev,
        IReadOnlyDictionary<int, string>? pythonNames, FunctionAttribution? functions)
    {
        ev?.Status?.Invoke($"reading {input}");
        var data = new PerfDataReader(input);
        if (mode == ConvertMode.Gil && !data.HasGilEvents)
            throw new GilTracerException($"{input} has no take_gil/drop_gil probe events: record with `giltracer run`, or with uprobes on take_gil and drop_gil (see README)");
        var report = AnalysisPipeline.Analyze(data.ReadEvents(), outputs, pythonNames, null, functions);
        if (report.EventCount == 0)
            throw new GilTracerException($"{input} holds no events: the recording is empty");
        report.Warnings.AddRange(data.Warnings);
        return report;
    }

    /// <summary>perf.data files start with the magic "PERFILE2".</summary>
    public static bool IsPerfData(string path)
    {
        Span<byte> magic = stackalloc byte[8];
        using var f = File.OpenRead(path);
        return f.Read(magic) == 8 && magic.SequenceEqual("PERFILE2"u8);
    }

    static void Check(PerfScriptTextReader reader, string input, ConvertMode mode)
    {
        var name = input == "-" ? "standard input" : input;
        if (reader.Samples == 0 && reader.MalformedLines > 0)
            throw new GilTracerException($"{name} is not `perf script` output ({reader.MalformedLines} lines not understood); produce it with `perf script --ns`");
        if (reader.Samples == 0)
            throw new GilTracerException($"{name} holds no events: the recording is empty");
        if (mode == ConvertMode.Gil && !reader.SawGilEvents)
            throw new GilTracerException($"{name} has no take_gil/drop_gil probe events: record with `giltracer run`, or with uprobes on take_gil and drop_gil (see README)");
    }
}
