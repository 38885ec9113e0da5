using System.Globalization;
using System.Text;
using GilTracer.Core.Model;

namespace GilTracer.Core.Render;

/// <summary>
/// The running totals of a live recording as OpenMetrics text (what Prometheus scrapes at /metrics): per thread its life,
/// GIL wait and GIL hold in seconds; per process (one GIL each) the time held, the acquisitions and a histogram of the wait
/// per acquisition; the events perf lost. The totals come from a snapshot at the watermark, open waits and holds counted
/// up to it, so a thread's wait and hold never grow faster than its life: no rate between two scrapes exceeds 1.
/// Thread names are hostile input: label values are escaped as the format says (backslash, double quote, newline).
/// A counter never goes back (Prometheus would take that for a restart): each series keeps its highest value, and series
/// of threads the analysis forgot (exited 15 minutes ago) are dropped.
/// </summary>
public sealed class OpenMetricsWriter
{
    public const string ContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    readonly Dictionary<string, double> _highest = new();
    readonly HashSet<string> _written = new();

    /// <summary>The exposition of the report (a snapshot of a live recording), ending in "# EOF".</summary>
    public string Write(GilReport report)
    {
        _written.Clear();
        var sb = new StringBuilder(256 + report.Threads.Count * 400);
        var threadFamilies = new (string Name, string Help, Func<ThreadSummary, long> Ns)[]
        {
            ("giltracer_thread_seconds", "Life of the thread so far: from its start (or the recording's) to its exit or the newest event", t => t.TotalNs),
            ("giltracer_thread_gil_wait_seconds", "Time the thread waited for the GIL (take_gil, and the handover in a forced switch)", t => t.WaitNs),
            ("giltracer_thread_gil_hold_seconds", "Time the thread held the GIL", t => t.HoldNs),
        };
        foreach (var (name, help, ns) in threadFamilies)
        {
            Family(sb, name, "counter", help, "seconds");
            foreach (var t in report.Threads)
                Sample(sb, name + "_total", $"pid=\"{t.Pid}\",tid=\"{t.Tid}\",name=\"{EscapeLabel(t.Name)}\"", Seconds(ns(t)));
        }
        Family(sb, "giltracer_gil_held_seconds", "counter", "Time the process's GIL was held by one of its threads", "seconds");
        foreach (var g in report.Gils) Sample(sb, "giltracer_gil_held_seconds_total", $"pid=\"{g.Pid}\"", Seconds(g.HeldNs));
        Family(sb, "giltracer_gil_acquisitions", "counter", "Times a thread of the process took its GIL", null);
        foreach (var g in report.Gils) Sample(sb, "giltracer_gil_acquisitions_total", $"pid=\"{g.Pid}\"", g.Acquisitions);
        Family(sb, "giltracer_gil_wait_seconds", "histogram", "Wait for the GIL per acquisition (0 when it was free)", "seconds");
        foreach (var g in report.Gils)
        {
            if (g.Waits is not { } h) continue;
            for (int i = 0; i < WaitHistogram.BoundsNs.Count; i++)
                Sample(sb, "giltracer_gil_wait_seconds_bucket", $"pid=\"{g.Pid}\",le=\"{Le(WaitHistogram.BoundsNs[i])}\"", h.CumulativeCounts[i]);
            Sample(sb, "giltracer_gil_wait_seconds_bucket", $"pid=\"{g.Pid}\",le=\"+Inf\"", h.Count);
            Sample(sb, "giltracer_gil_wait_seconds_count", $"pid=\"{g.Pid}\"", h.Count);
            Sample(sb, "giltracer_gil_wait_seconds_sum", $"pid=\"{g.Pid}\"", Seconds(h.SumNs));
        }
        Family(sb, "giltracer_lost_events", "counter", "Events perf lost (its ring buffer was full): numbers around the gaps are uncertain", null);
        Sample(sb, "giltracer_lost_events_total", "", report.LostEvents);
        sb.Append("# EOF\n");
        foreach (var key in _highest.Keys.Where(k => !_written.Contains(k)).ToList()) _highest.Remove(key);
        return sb.ToString();
    }

    static void Family(StringBuilder sb, string name, string type, string help, string? unit)
    {
        sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        if (unit is not null) sb.Append("# UNIT ").Append(name).Append(' ').Append(unit).Append('\n');
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
    }

    /// <summary>A sample of a counter (a histogram's counts are counters too): never lower than it was.</summary>
    void Sample(StringBuilder sb, string name, string labels, double value)
    {
        var key = name + "{" + labels + "}";
        if (_highest.TryGetValue(key, out var high) && high > value) value = high;
        _highest[key] = value;
        _written.Add(key);
        sb.Append(name);
        if (labels.Length > 0) sb.Append('{').Append(labels).Append('}');
        sb.Append(' ').Append(Number(value)).Append('\n');
    }

    static double Seconds(long ns) => ns / 1e9;

    /// <summary>Shortest round-trip form (1e-09, not 1E-09); integers without a fraction.</summary>
    public static string Number(double v) =>
        v == Math.Floor(v) && Math.Abs(v) < 1e15 ? ((long)v).ToString(CultureInfo.InvariantCulture) : v.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');

    /// <summary>A bucket bound as OpenMetrics wants numbers in labels: canonical, "1.0" rather than "1".</summary>
    static string Le(long ns)
    {
        double s = Seconds(ns);
        return s == Math.Floor(s) ? s.ToString("F1", CultureInfo.InvariantCulture) : s.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
    }

    /// <summary>A label value as the format escapes it: backslash, double quote and newline; anything else is UTF-8 as it is.</summary>
    public static string EscapeLabel(string value)
    {
        if (value.AsSpan().IndexOfAny('\\', '"', '\n') < 0) return value;
        var sb = new StringBuilder(value.Length + 8);
        foreach (var c in value)
            sb.Append(c switch { '\\' => "\\\\", '"' => "\\\"", '\n' => "\\n", _ => c.ToString() });
        return sb.ToString();
    }
}
