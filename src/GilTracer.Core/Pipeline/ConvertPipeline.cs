using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Core.Pipeline;

public enum ConvertMode { Gil, Sched, Auto }

/// <summary>`giltracer convert`: the same outputs as `run`, from an existing recording (perf script text, stdin or perf.data).</summary>
public static class ConvertPipeline
{
    /// <param name="pids">Keep only these processes and their descendants (system-wide recordings).</param>
    public static GilReport Convert(string input, ConvertMode mode, OutputOptions outputs, PipelineEvents? ev = null,
        IReadOnlyDictionary<int, string>? pythonNames = null, IReadOnlyCollection<int>? pids = null, string? functionsDir = null)
    {
        FunctionTrace? fn = null;
        if (functionsDir is not null)
            fn = FunctionTraceReader.TryRead(functionsDir) ?? throw new GilTracerException($"no function trace in {functionsDir} (expected {FunctionTraceReader.RecordsFile})");
        var setup = new AnalysisSetup
        {
            PythonNames = pythonNames, Functions = fn, Sched = mode != ConvertMode.Gil,
            Scope = pids is { Count: > 0 } ? TaskScope.Tree(pids) : null,
        };
        // Text in, whatever the source: what the text holds can only be checked once it was read.
        var text = new PassOptions { Report = new ReportContext { Reach = RecordingReach.Unknown }, Check = d => Check(d, mode) };
        if (input == "-")
        {
            var (perfData, stdin) = FormatSniffer.Sniff(Console.OpenStandardInput());
            if (perfData) return ConvertSpooled(stdin, mode, outputs, ev, pythonNames, pids, functionsDir);
            return ReportPass.Run(PerfTextSource.Of(stdin, "standard input"), setup, outputs, text, ev);
        }
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
            var schedData = Path.Combine(dir, Path.GetFileName(outputs.SchedDataPath));
            bool withSched = setup.Sched && !info.SystemWide && !info.HasCallchains && File.Exists(schedData) && PerfDataFormat.IsPerfData(schedData);
            if (File.Exists(threads))
            {
                setup = setup with { PythonNames = pythonNames ?? ThreadNamesReader.Read(threads) };
                if (setup.Scope is null && (info.SystemWide || withSched) && ThreadNamesReader.ReadProcessIds(threads) is { Count: > 0 } roots)
                    setup = setup with { Scope = TaskScope.Tree(roots) };
            }
            if (!info.HasCallchains)
                return ConvertPerfData(input, withSched ? schedData : null, mode, setup, outputs, ev, info.SystemWide || withSched);
            // Stacks tell sleeps inside take_gil apart (recordings without GIL probes): perf script symbolizes them.
            ev?.Status?.Invoke($"reading {input} with perf script (it has call stacks)");
            return ReportPass.Run(PerfTextSource.OfPerfScript(input, withStacks: true), setup, outputs,
                text with { Report = new ReportContext { Reach = info.SystemWide ? RecordingReach.SystemWide : RecordingReach.Unknown } }, ev);
        }
        if (File.Exists(threads)) setup = setup with { PythonNames = pythonNames ?? ThreadNamesReader.Read(threads) };
        using var f = File.OpenRead(input);
        return ReportPass.Run(PerfTextSource.Of(f, input), setup, outputs, text with { Label = $"reading {Path.GetFileName(input)}" }, ev);
    }

    /// <summary>A perf.data on standard input (`cat perf.data | giltracer convert -`): its header points into the file, so
    /// it is read from a private copy, removed afterwards.</summary>
    static GilReport ConvertSpooled(Stream stdin, ConvertMode mode, OutputOptions outputs, PipelineEvents? ev,
        IReadOnlyDictionary<int, string>? pythonNames, IReadOnlyCollection<int>? pids, string? functionsDir)
    {
        var dir = Directory.CreateTempSubdirectory("giltracer-stdin-");
        var copy = Path.Combine(dir.FullName, "perf.data");
        try
        {
            using (var f = File.Create(copy)) stdin.CopyTo(f);
            return Convert(copy, mode, outputs, ev, pythonNames, pids, functionsDir);
        }
        catch (GilTracerException e) when (e.Message.Contains(copy))
        {
            throw new GilTracerException(e.Message.Replace(copy, "standard input"), e.ExitCode, e);
        }
        finally { dir.Delete(recursive: true); }
    }

    /// <summary>perf.data read natively (no perf script): same events as the text path, many times faster. What it
    /// holds is in its header: checked before anything is written.</summary>
    static GilReport ConvertPerfData(string input, string? schedFile, ConvertMode mode, AnalysisSetup setup, OutputOptions outputs,
        PipelineEvents? ev, bool systemWide)
    {
        ev?.Status?.Invoke(schedFile is null ? $"reading {input}" : $"reading {input} and {schedFile}");
        var data = new PerfDataReader(input);
        var schedData = schedFile is null ? null : new PerfDataReader(schedFile);
        CheckContent(input, mode, data.HasGilEvents, data.HasSchedEvents || schedData is { HasSchedEvents: true });
        return ReportPass.Run(new PerfDataSource(data, schedData), setup, outputs, new PassOptions
        {
            Report = new ReportContext { Reach = systemWide ? RecordingReach.SystemWide : RecordingReach.Program },
            WhenNoEvents = $"{input} holds no events: the recording is empty",
            Label = $"reading {Path.GetFileName(input)}",
        }, ev);
    }

    /// <summary>Text is `perf script` output, not empty, and holds the events the mode needs.</summary>
    static void Check(DecodeResult text, ConvertMode mode)
    {
        if (text.Events == 0 && text.MalformedLines > 0)
            throw new GilTracerException($"{text.Input} is not `perf script` output ({text.MalformedLines} lines not understood); produce it with `perf script --ns`");
        if (text.Events == 0)
            throw new GilTracerException($"{text.Input} holds no events: the recording is empty");
        CheckContent(text.Input, mode, text.HasGilEvents, text.HasSchedEvents);
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
