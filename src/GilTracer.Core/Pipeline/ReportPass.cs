using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;
using GilTracer.Core.Render;
using GilTracer.Core.Render.Html;

namespace GilTracer.Core.Pipeline;

/// <summary>What an analysis may add to the GIL state machine.</summary>
/// <param name="Functions">A function trace to join (blame, flame graphs, Python spans).</param>
/// <param name="Sched">Also compute kernel thread states from sched events (--state, convert sched|auto).</param>
/// <param name="Scope">Keep only these tasks' events (system-wide recordings); with Sched and no scope, the tasks
/// events were recorded in the context of (per-task recordings).</param>
/// <param name="Window">An attach's recording window: threads alive at its start lived since then.</param>
public sealed record AnalysisExtras(FunctionAttribution? Functions = null, bool Sched = false, TaskScope? Scope = null,
    RecordingWindow? Window = null);

/// <summary>Whether a recording may hold every process of the machine (perf record -a): convert says so unless a scope keeps one program.</summary>
public enum RecordingReach
{
    /// <summary>The recording's own tasks (run, attach): nothing to say.</summary>
    Program,
    /// <summary>perf.data's header says -a.</summary>
    SystemWide,
    /// <summary>Text: judged from the threads (kernel threads are never the context of a per-task recording's events).</summary>
    Unknown,
}

/// <summary>What a pass adds to the report besides the events, and what must hold before its outputs appear.</summary>
public sealed record PassOptions
{
    public int? ExitCode { get; init; }
    /// <summary>Python's thread names by tid (the bootstrap's threads.jsonl, an attach's names file).</summary>
    public IReadOnlyDictionary<int, string>? PythonNames { get; init; }
    /// <summary>Warnings of the steps before decoding (run, attach), after the decoder's.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
    /// <summary>A warning for a report without threads (run, attach: the probes did not fire).</summary>
    public string? WhenNoThreads { get; init; }
    /// <summary>An error when no event is left after the scope, raised before any output is opened.</summary>
    public string? WhenNoEvents { get; init; }
    /// <summary>Checks of what was decoded that throw a <see cref="GilTracerException"/>: run after the last event
    /// (with text, the only time they can be made), before any output appears.</summary>
    public Action<DecodeResult>? Check { get; init; }
    public RecordingReach Reach { get; init; } = RecordingReach.Program;
    /// <summary>Shown on the progress bar of a long pass; null: no progress bar.</summary>
    public string? Label { get; init; }
}

/// <summary>
/// One pass over a recording: decoded events → analyzers → outputs (streamed as intervals close), then the report and
/// the outputs that need it. Outputs are opened at the first event, under temporary names, and moved into place only
/// when everything succeeded: a failed check leaves no trace.json.
/// </summary>
public static class ReportPass
{
    const string SystemWideWarning = "this is a system-wide recording (perf record -a): threads of every process are shown; keep one program with --pid PID";

    public static GilReport Run(IEventSource source, OutputOptions outputs, PassOptions pass, AnalysisExtras? extras = null, PipelineEvents? ev = null) =>
        pass.Label is { } label ? ev.Step(label, progress => Run(source, outputs, pass, extras, ev, progress)) : Run(source, outputs, pass, extras, ev, null);

    static GilReport Run(IEventSource source, OutputOptions outputs, PassOptions pass, AnalysisExtras? extras, PipelineEvents? ev, IProgress<double>? progress)
    {
        var analyzer = new GilAnalyzer();
        var (functions, sched, scope, window) = extras ?? new AnalysisExtras();
        functions?.AddThreadNames(analyzer);
        if (pass.PythonNames is not null)
            foreach (var (tid, name) in pass.PythonNames) analyzer.SetPythonThreadName(tid, name);
        if (window is not null) analyzer.SetRecordingWindow(window);
        if (functions is not null) analyzer.AddSink(functions.Sink);
        SchedAnalyzer? states = null;
        var admit = scope;
        if (sched)
        {
            admit ??= TaskScope.Contexts();
            states = new SchedAnalyzer(admit, analyzer);
        }

        using var files = new OutputFiles();
        ChromeTraceRenderer? chrome = null;
        HtmlReportRenderer? html = null;
        void Open()
        {
            outputs.CreateDirectories();
            chrome = new ChromeTraceRenderer(files.Create(outputs.ChromeTracePath));
            analyzer.AddSink(chrome);
            states?.AddSink(chrome);
            if (!outputs.Html) return;
            html = new HtmlReportRenderer(new HtmlReportOptions { Title = outputs.ReportTitle });
            analyzer.AddSink(html);
            states?.AddSink(html);
        }

        foreach (var e in source.Read(progress))
        {
            if (admit is not null && !admit.Admit(e)) continue;
            if (chrome is null) Open();
            analyzer.Process(e);
            states?.Process(e);
        }
        var decoded = source.Result;
        ev?.Verbose?.Invoke(decoded.Describe());
        if (chrome is null && pass.WhenNoEvents is not null) throw new GilTracerException(pass.WhenNoEvents);
        pass.Check?.Invoke(decoded);
        if (chrome is null) Open();

        var report = analyzer.Finish();
        if (states is not null) report = states.Finish(report, pass.PythonNames);
        if (functions is not null)
        {
            report = functions.Complete(report, outputs.OutputDir);
            functions.WriteChromeSpans(chrome!, report);
            if (html is not null) functions.AddToHtmlReport(html, report, outputs.OutputDir);
        }
        var warnings = report.Warnings.Concat(decoded.Warnings).ToList();
        if (report.Threads.Count == 0 && pass.WhenNoThreads is not null) warnings.Add(pass.WhenNoThreads);
        warnings.AddRange(pass.Notes);
        if (scope is null && (pass.Reach == RecordingReach.SystemWide || pass.Reach == RecordingReach.Unknown && report.Threads.Any(t => LooksLikeKernelThread(t.Name))))
            warnings.Add(SystemWideWarning);
        report = report with { ExitCode = pass.ExitCode, Warnings = warnings };

        chrome!.Finish(report);
        using (var summary = files.Create(outputs.SummaryPath)) SummaryJsonRenderer.Write(report, summary);
        if (html is not null)
            using (var page = files.Create(outputs.HtmlPath)) html.Write(report, page);
        files.Commit();
        return report;
    }

    /// <summary>Kernel threads are never the context of a per-task recording's events; in a system-wide one they are.</summary>
    static bool LooksLikeKernelThread(string comm) =>
        comm.StartsWith("kworker/", StringComparison.Ordinal) || comm.StartsWith("ksoftirqd/", StringComparison.Ordinal) ||
        comm.StartsWith("migration/", StringComparison.Ordinal) || comm.StartsWith("rcu_", StringComparison.Ordinal);
}
