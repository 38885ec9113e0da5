using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;
using GilTracer.Core.Render;
using GilTracer.Core.Render.Html;

namespace GilTracer.Core.Pipeline;

/// <summary>What a pass adds to the report besides the events, and what must hold before its outputs appear.</summary>
public sealed record PassOptions
{
    public ReportContext Report { get; init; } = new();
    /// <summary>An error when no event is left after the scope, raised before any output is opened.</summary>
    public string? WhenNoEvents { get; init; }
    /// <summary>Checks of what was decoded that throw a <see cref="GilTracerException"/>: run after the last event
    /// (with text, the only time they can be made), before any output appears.</summary>
    public Action<DecodeResult>? Check { get; init; }
    /// <summary>Shown on the progress bar of a long pass; null: no progress bar.</summary>
    public string? Label { get; init; }
}

/// <summary>
/// One pass over a recording: decoded events → analyzers → outputs: those that draw timelines get the intervals as they
/// close, then every output gets the finished report. Outputs are opened at the first event, under temporary names, and moved
/// into place only when everything succeeded: a failed check leaves no trace.json.
/// </summary>
public static class ReportPass
{
    public static GilReport Run(IEventSource source, AnalysisSetup setup, OutputOptions outputs, PassOptions pass, PipelineEvents? ev = null) =>
        pass.Label is { } label ? ev.Step(label, progress => Run(source, setup, outputs, pass, ev, progress)) : Run(source, setup, outputs, pass, ev, null);

    /// <summary>Every output the options ask for, writing through files.</summary>
    static List<IReportOutput> Outputs(OutputOptions o, OutputFiles files)
    {
        o.CreateDirectories();
        var list = new List<IReportOutput> { new ChromeTraceRenderer(files.Create(o.ChromeTracePath)) };
        if (o.Html) list.Add(new HtmlReportRenderer(files, o.HtmlPath, new HtmlReportOptions { Title = o.ReportTitle }));
        list.Add(new SummaryJsonRenderer(files, o.SummaryPath));
        list.Add(new FlameGraphFiles(files, o.OutputDir));
        return list;
    }

    static GilReport Run(IEventSource source, AnalysisSetup setup, OutputOptions outputs, PassOptions pass, PipelineEvents? ev, IProgress<double>? progress)
    {
        var analysis = new RecordingAnalysis(setup);
        using var files = new OutputFiles();
        List<IReportOutput>? open = null;
        List<IReportOutput> Open()
        {
            var list = Outputs(outputs, files);
            foreach (var sink in list.OfType<IIntervalSink>()) analysis.AddSink(sink);
            return list;
        }

        foreach (var e in source.Read(progress))
        {
            if (!analysis.Admit(e)) continue;
            open ??= Open();
            analysis.Process(e);
        }
        var decoded = source.Result;
        ev?.Verbose?.Invoke(decoded.Describe());
        if (open is null && pass.WhenNoEvents is not null) throw new GilTracerException(pass.WhenNoEvents);
        pass.Check?.Invoke(decoded);
        open ??= Open();

        var report = analysis.Finish(pass.Report with { DecodeWarnings = decoded.Warnings });
        if (analysis.Calls(report) is { } calls)
            foreach (var o in open) o.OnFunctionCalls(calls);
        foreach (var o in open) o.Write(report);
        try { files.Commit(); }
        catch (GilTracerException e) when (files.FullAt is not null)
        {
            throw new GilTracerException(e.Message, e.ExitCode, e) { Report = report }; // the numbers exist: the table is still shown
        }
        return report;
    }
}
