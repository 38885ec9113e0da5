using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Core.Pipeline;

public enum ConvertMode { Gil, Sched, Auto }

/// <summary>`giltracer convert`: the same outputs as `run`, from an existing recording (perf script text, stdin or perf.data).</summary>
public static class ConvertPipeline
{
    const string SystemWideWarning = "this is a system-wide recording (perf record -a): threads of every process are shown; keep one program with --pid PID";

    /// <param name="pids">Keep only these processes and their descendants (system-wide recordings).</param>
    public static GilReport Convert(string input, ConvertMode mode, OutputOptions outputs, PipelineEvents? ev = null,
        IReadOnlyDictionary<int, string>? pythonNames = null, IReadOnlyCollection<int>? pids = null, string? functionsDir = null)
    {
        var reader = new PerfScriptTextReader();
        FunctionAttribution? fn = null;
        if (functionsDir is not null)
            fn = FunctionAttribution.Load(functionsDir) ?? throw new GilTracerException($"no function trace in {functionsDir} (expected {FunctionTraceReader.RecordsFile})");
        bool sched = mode != ConvertMode.Gil;
        var scope = pids is { Count: > 0 } ? TaskScope.Tree(pids) : null;
        bool systemWide = false;
        // Text in, whatever the source: the reader's findings complete the report before it is written.
        GilReport AnalyzeText(IEnumerable<TraceEvent> events) =>
            AnalysisPipeline.Analyze(events, outputs, pythonNames, null, new AnalysisExtras(fn, sched, scope), completing: report =>
            {
                Check(reader, input, mode);
                if (scope is null && (systemWide || report.Threads.Any(t => LooksLikeKernelThread(t.Name))))
                    report.Warnings.Add(SystemWideWarning);
                if (reader.Truncated) report.Warnings.Add("the input ends in the middle of a line: the recording looks truncated");
                if (reader.MalformedLines > 0) report.Warnings.Add($"{reader.MalformedLines} lines were not understood and skipped");
            });
        if (input == "-")
            return AnalyzeText(reader.Read(Console.OpenStandardInput()));
        if (Directory.Exists(input))
            throw new GilTracerException($"{input} is a folder: give the recording in it, e.g. {Path.Combine(input, "perf.data")}");
        if (!File.Exists(input)) throw new GilTracerException($"input not found: {input}");
        // `giltracer run` leaves beside perf.data the bootstrap's thread list (Python thread names, and the
        // traced processes, which pick our program out of system-wide sched events) and, with --state, the
        // system-wide sched recording sched.data, merged in by time. Text made from that perf.data (perf script)
        // beside it gets the names too.
        var dir = Path.GetDirectoryName(Path.GetFullPath(input))!;
        var threads = Path.Combine(dir, Path.GetFileName(outputs.ThreadNamesPath));
        if (PerfDataFormat.IsPerfData(input))
        {
            var info = PerfRecordingInfo.Read(input);
            systemWide = info.SystemWide;
            var schedData = Path.Combine(dir, Path.GetFileName(outputs.SchedDataPath));
            bool withSched = sched && !systemWide && !info.HasCallchains && File.Exists(schedData) && PerfDataFormat.IsPerfData(schedData);
            if (File.Exists(threads))
            {
                pythonNames ??= ThreadNamesReader.Read(threads);
                if (scope is null && (systemWide || withSched) && ThreadNamesReader.ReadProcessIds(threads) is { Count: > 0 } roots)
                    scope = TaskScope.Tree(roots);
            }
            if (!info.HasCallchains)
                return ConvertPerfData(input, withSched ? schedData : null, mode, outputs, ev, pythonNames, fn, sched, scope,
                    systemWide || withSched);
            // Stacks tell sleeps inside take_gil apart (recordings without GIL probes): perf script symbolizes them.
            ev?.Status?.Invoke($"reading {input} with perf script (it has call stacks)");
            return AnalyzeText(PerfScriptRunner.Read(input, reader, info.HasCallchains));
        }
        if (File.Exists(threads)) pythonNames ??= ThreadNamesReader.Read(threads);
        using var f = File.OpenRead(input);
        return ev.Step($"reading {Path.GetFileName(input)}", progress => AnalyzeText(reader.Read(f, progress)));
    }

    /// <summary>perf.data read natively (no perf script): same events as the text path, many times faster.</summary>
    static GilReport ConvertPerfData(string input, string? schedFile, ConvertMode mode, OutputOptions outputs, PipelineEvents? ev,
        IReadOnlyDictionary<int, string>? pythonNames, FunctionAttribution? functions, bool sched, TaskScope? scope, bool systemWide)
    {
        ev?.Status?.Invoke(schedFile is null ? $"reading {input}" : $"reading {input} and {schedFile}");
        var data = new PerfDataReader(input);
        var schedData = schedFile is null ? null : new PerfDataReader(schedFile);
        CheckContent(input, mode, data.HasGilEvents, data.HasSchedEvents || schedData is { HasSchedEvents: true });
        return AnalysisPipeline.AnalyzePerfData(data, schedData, outputs, pythonNames, null, new AnalysisExtras(functions, sched, scope), ev,
            $"reading {Path.GetFileName(input)}", report =>
            {
                if (report.EventCount == 0)
                    throw new GilTracerException($"{input} holds no events: the recording is empty");
                if (scope is null && systemWide)
                    report.Warnings.Add(SystemWideWarning);
            });
    }

    /// <summary>Kernel threads are never the context of a per-task recording's events; in a system-wide one they are.</summary>
    static bool LooksLikeKernelThread(string comm) =>
        comm.StartsWith("kworker/", StringComparison.Ordinal) || comm.StartsWith("ksoftirqd/", StringComparison.Ordinal) ||
        comm.StartsWith("migration/", StringComparison.Ordinal) || comm.StartsWith("rcu_", StringComparison.Ordinal);

    static void Check(PerfScriptTextReader reader, string input, ConvertMode mode)
    {
        var name = input == "-" ? "standard input" : input;
        if (reader.Samples == 0 && reader.MalformedLines > 0)
            throw new GilTracerException($"{name} is not `perf script` output ({reader.MalformedLines} lines not understood); produce it with `perf script --ns`");
        if (reader.Samples == 0)
            throw new GilTracerException($"{name} holds no events: the recording is empty");
        CheckContent(name, mode, reader.SawGilEvents, reader.SawSchedEvents);
    }

    /// <summary>The events the mode needs are in the recording (perf.data or text alike).</summary>
    static void CheckContent(string name, ConvertMode mode, bool hasGil, bool hasSched)
    {
        if (mode == ConvertMode.Gil && !hasGil)
            throw new GilTracerException($"{name} has no take_gil/drop_gil probe events: record with `giltracer run`, or with uprobes on take_gil and drop_gil (see README)");
        if (mode == ConvertMode.Sched && !hasSched)
            throw new GilTracerException($"{name} has no sched events (sched_switch, sched_wakeup): record with `giltracer run --state`, or perf record -a -e sched:sched_switch -e sched:sched_wakeup -e sched:sched_wakeup_new -e sched:sched_process_fork -e sched:sched_process_exit");
        if (mode == ConvertMode.Auto && !hasGil && !hasSched)
            throw new GilTracerException($"{name} has neither take_gil/drop_gil probe events nor sched events: nothing to analyze");
    }
}
