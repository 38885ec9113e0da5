using System.Globalization;
using GilTracer.Core.Model;
using Prometheus;

namespace GilTracer.Core.Render;

/// <summary>
/// The running totals of a live recording as Prometheus metrics, kept and written by prometheus-net (its registry writes
/// OpenMetrics or Prometheus text and escapes label values: thread names are hostile input): per thread its life, GIL
/// wait and GIL hold in seconds; per process (one GIL each) the time held, the acquisitions and a histogram of the wait
/// per acquisition; the events perf lost.
/// The counters are raised (IncTo: a counter never goes back, Prometheus would take that for a restart) to a snapshot at
/// the watermark, open waits and holds counted up to it, so a thread's wait and hold never grow faster than its life: no
/// rate between two scrapes exceeds 1. The histogram observes each acquisition's wait as the analyzer counts it, as
/// events are processed. Series of threads and processes the analysis forgot (exited 15 minutes ago) are removed.
/// Every call comes from the thread that owns the analysis, the export too (see <see cref="MetricsServer"/>).
/// </summary>
public sealed class LiveMetrics : IIntervalSink
{
    readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    readonly Counter _life, _wait, _hold, _held, _acquisitions, _lost;
    readonly Histogram _waits;
    /// <summary>The histogram's series per process, found once: an acquisition is the hot path.</summary>
    readonly Dictionary<int, Histogram.Child> _waitsOf = new();

    public LiveMetrics()
    {
        var factory = Metrics.WithCustomRegistry(_registry);
        string[] thread = ["pid", "tid", "name"], process = ["pid"];
        _life = factory.CreateCounter("giltracer_thread_seconds_total", "Life of the thread so far: from its start (or the recording's) to its exit or the newest event", thread);
        _wait = factory.CreateCounter("giltracer_thread_gil_wait_seconds_total", "Time the thread waited for the GIL (take_gil, and the handover in a forced switch)", thread);
        _hold = factory.CreateCounter("giltracer_thread_gil_hold_seconds_total", "Time the thread held the GIL", thread);
        _held = factory.CreateCounter("giltracer_gil_held_seconds_total", "Time the process's GIL was held by one of its threads", process);
        _acquisitions = factory.CreateCounter("giltracer_gil_acquisitions_total", "Times a thread of the process took its GIL", process);
        _waits = factory.CreateHistogram("giltracer_gil_wait_seconds", "Wait for the GIL per acquisition (0 when it was free)",
            new HistogramConfiguration { LabelNames = process, Buckets = WaitHistogram.BoundsNs.Select(Seconds).ToArray() });
        _lost = factory.CreateCounter("giltracer_lost_events_total", "Events perf lost (its ring buffer was full): numbers around the gaps are uncertain");
    }

    /// <summary>Raises the counters to the report (a snapshot at the watermark), and removes the series it no longer has.</summary>
    public void Update(GilReport report)
    {
        var threads = new HashSet<(string, string, string)>();
        foreach (var t in report.Threads)
        {
            string[] labels = [Text(t.Pid), Text(t.Tid), t.Name];
            threads.Add((labels[0], labels[1], labels[2]));
            _life.WithLabels(labels).IncTo(Seconds(t.TotalNs));
            _wait.WithLabels(labels).IncTo(Seconds(t.WaitNs));
            _hold.WithLabels(labels).IncTo(Seconds(t.HoldNs));
        }
        foreach (var family in new[] { _life, _wait, _hold }) RemoveOthers(family, l => threads.Contains((l[0], l[1], l[2])));

        var pids = new HashSet<string>();
        foreach (var g in report.Gils)
        {
            var pid = Text(g.Pid);
            pids.Add(pid);
            _held.WithLabels(pid).IncTo(Seconds(g.HeldNs));
            _acquisitions.WithLabels(pid).IncTo(g.Acquisitions);
        }
        foreach (var family in new[] { _held, _acquisitions }) RemoveOthers(family, l => pids.Contains(l[0]));
        RemoveOthers(_waits, l => pids.Contains(l[0]));
        foreach (var pid in _waitsOf.Keys.Where(p => !pids.Contains(Text(p))).ToList()) _waitsOf.Remove(pid);

        _lost.IncTo(report.LostEvents);
    }

    void IIntervalSink.OnAcquisition(int pid, long waitNs)
    {
        if (!_waitsOf.TryGetValue(pid, out var series)) _waitsOf[pid] = series = _waits.WithLabels(Text(pid));
        series.Observe(Seconds(waitNs));
    }

    /// <summary>The exposition of every series: OpenMetrics (ending in "# EOF"), or Prometheus' older text format.</summary>
    public byte[] Export(bool openMetrics)
    {
        using var text = new MemoryStream();
        // into memory: the library's writes complete at once, so waiting here blocks nothing else
        _registry.CollectAndExportAsTextAsync(text, openMetrics ? ExpositionFormat.OpenMetricsText : ExpositionFormat.PrometheusText).GetAwaiter().GetResult();
        return text.ToArray();
    }

    static void RemoveOthers<TChild>(Collector<TChild> family, Func<string[], bool> keep) where TChild : ChildBase
    {
        foreach (var labels in family.GetAllLabelValues().Where(l => !keep(l)).ToList()) family.RemoveLabelled(labels);
    }

    static double Seconds(long ns) => ns / 1e9;

    static string Text(int id) => id.ToString(CultureInfo.InvariantCulture);
}
