using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using GilTracer.Core.Probe;
using GilTracer.Core.Record;
using GilTracer.Core.Render;

namespace GilTracer.Core.Pipeline;

/// <summary>What run and attach share: probe → record (probes removed right after) → decode → analyze → outputs.</summary>
public static class ProbedRecording
{
    public static string Describe(PythonTarget t) =>
        $"Python {t.Version} at {t.Executable}; GIL code in {t.GilBinary} ({t.Method}): " +
        string.Join(", ", t.Sites.Select(s => $"{s.Kind} {s.Description}@0x{s.FileOffset:x}"));

    /// <summary>The target's probe sites plus those of each other interpreter the program runs as a child (one group for all).</summary>
    public static List<ProbeSite> WithChildPythons(PythonTarget target, IReadOnlyList<string>? children, Func<string, string> resolve, PipelineEvents ev)
    {
        var sites = target.Sites.ToList();
        foreach (var child in children ?? [])
        {
            var t = PythonLocator.Locate(resolve(child));
            ev.Verbose?.Invoke("child " + Describe(t));
            if (sites.Any(s => s.Binary == t.GilBinary)) continue; // the same libpython: already probed
            sites.AddRange(t.Sites);
        }
        return sites;
    }

    /// <summary>Creates the run's uprobe group on the sites, records with the request built for its selector, removes the probes.</summary>
    public static RecordOutcome Record(IReadOnlyList<ProbeSite> sites, Func<string, RecordRequest> request, string status, PipelineEvents ev)
    {
        using var group = UprobeGroup.Create(sites);
        ev.Verbose?.Invoke($"uprobe group {group.Name}: {string.Join(", ", group.Events)}");
        ev.Status?.Invoke(status);
        return PerfRecorder.Run(request(group.Selector), ev.Verbose);
    } // probes removed here, before decoding: nothing needs them any more

    /// <summary>A recording perf wrote into the output folder: if perf could not finish it because the folder filled up,
    /// that is what the user needs to hear.</summary>
    static PerfDataReader Open(string path, OutputOptions outputs)
    {
        try { return new PerfDataReader(path); }
        catch (GilTracerException) when (OutputFiles.IsFolderFull(outputs.OutputDir))
        {
            throw new GilTracerException($"the output folder {outputs.OutputDir} is full (no space left on its device): perf could not finish " +
                                         $"{path} ({new FileInfo(path).Length} bytes); free some space or choose another folder with -o");
        }
    }

    /// <summary>Decodes OUTPUT/perf.data (or the recordings given: `run --` has one per Python build found; with --state's
    /// sched.data merged in), analyzes it and writes the outputs; notes are the recording step's warnings.</summary>
    public static GilReport Report(OutputOptions outputs, AnalysisSetup setup, int? exitCode, string nothingRecorded, PipelineEvents ev,
        IEnumerable<string>? notes = null, string? schedData = null, TracedPython? python = null, IReadOnlyList<string>? perfData = null)
    {
        var files = (perfData ?? [outputs.PerfDataPath]).Where(File.Exists).ToList();
        if (files.Count == 0) throw new GilTracerException(nothingRecorded);
        ev.Status?.Invoke("decoding");
        var source = new PerfDataSource(files.Select(f => Open(f, outputs)).ToList(), schedData is null ? null : Open(schedData, outputs));
        return ReportPass.Run(source, setup, outputs, new PassOptions
        {
            Report = new ReportContext
            {
                ExitCode = exitCode, Notes = notes?.ToList() ?? [], Python = python,
                WhenNoThreads = "no GIL events were recorded: the program ended before any thread touched the GIL, or the probes did not fire",
            },
            Label = "decoding",
        }, ev);
    }
}
