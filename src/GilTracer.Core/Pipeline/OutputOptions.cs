namespace GilTracer.Core.Pipeline;

/// <summary>Where results go. Paths left null default into OutputDir.</summary>
public sealed record OutputOptions(
    string OutputDir = "giltracer-out",
    string? SummaryJson = null,
    string? ChromeTrace = null,
    bool Html = true,
    string? ReportTitle = null)
{
    public string SummaryPath => SummaryJson ?? Path.Combine(OutputDir, "summary.json");
    public string ChromeTracePath => ChromeTrace ?? Path.Combine(OutputDir, "trace.json");
    public string HtmlPath => Path.Combine(OutputDir, "report.html");
    public string PerfDataPath => Path.Combine(OutputDir, "perf.data");
    /// <summary>The system-wide sched recording of --state, beside perf.data.</summary>
    public string SchedDataPath => Path.Combine(OutputDir, "sched.data");
    public string ThreadNamesPath => Path.Combine(OutputDir, "threads.jsonl");
    /// <summary>Where the function tracer (--functions) writes functions.bin and functions.names.jsonl.</summary>
    public string FunctionsDir => Path.Combine(OutputDir, "functions");

    public void CreateDirectories()
    {
        OutputFolder.Create(OutputDir); // a clear error for a file, /proc, a read-only place
        foreach (var p in new[] { SummaryJson, ChromeTrace })
        {
            var dir = p is null ? null : Path.GetDirectoryName(Path.GetFullPath(p));
            if (dir is not null) Directory.CreateDirectory(dir);
        }
    }
}
