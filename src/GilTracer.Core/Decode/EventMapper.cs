using GilTracer.Core.Model;

namespace GilTracer.Core.Decode;

/// <summary>
/// Gives each event of a perf.data file its <see cref="EventKind"/> and the tracepoint fields it needs:
/// GIL uprobes by name (<see cref="GilProbeNames"/>), the sched tracepoints by their fields
/// (layouts from TRACING_DATA, else the live tracefs).
/// </summary>
internal static class EventMapper
{
    private const uint TracepointType = 2; // PERF_TYPE_TRACEPOINT (uprobes made through uprobe_events are tracepoints too)

    public static void Map(PerfDataHeader header, List<string> warnings)
    {
        foreach (var attr in header.Attrs)
        {
            TracepointFormat? format = null;
            if (attr.Type == TracepointType)
            {
                foreach (var f in header.Formats) if ((ulong)f.Id == attr.Config) { format = f; break; }
                attr.Name ??= format?.FullName;
            }
            if (attr.Name is not { } name) continue;
            int colon = name.IndexOf(':');
            string system = colon < 0 ? "" : name[..colon], evName = colon < 0 ? name : name[(colon + 1)..];

            if (system != "sched")
            {
                attr.Kind = GilProbeNames.Classify(name.AsSpan());
                continue;
            }
            (EventKind kind, string f1, string? f2, string? state)? want = evName switch
            {
                "sched_switch" => (EventKind.SchedSwitch, "prev_pid", "next_pid", "prev_state"),
                "sched_wakeup" => (EventKind.SchedWakeup, "pid", null, null),
                "sched_wakeup_new" => (EventKind.SchedWakeupNew, "pid", null, null),
                "sched_process_fork" => (EventKind.Fork, "parent_pid", "child_pid", null),
                "sched_process_exit" => (EventKind.Exit, "pid", null, null),
                _ => null,
            };
            if (want is not { } w) continue;
            // the format recorded with the file wins; the running kernel's is a fallback
            if (format is null || format.Name != evName) format = TracepointFormat.FromTracefs(system, evName);
            var field1 = format?.Find(w.f1);
            var field2 = w.f2 is null ? null : format?.Find(w.f2);
            var stateField = w.state is null ? null : format?.Find(w.state);
            if (field1 is null || (w.f2 is not null && field2 is null) || (w.state is not null && stateField is null))
            {
                warnings.Add($"{name}: no tracepoint format with its fields in the file or in tracefs; its events are skipped");
                continue;
            }
            attr.Kind = w.kind;
            attr.Field1 = field1;
            attr.Field2 = field2;
            attr.StateField = stateField;
        }
    }

    /// <summary>
    /// sched_switch prev_state: the kernel reports the task state bits (S=1, D=2, T=4, t=8, X=16, Z=32, P=64, I=128);
    /// none of them means running, and TASK_REPORT_MAX (256) on top means preempted ("R+").
    /// </summary>
    public static ThreadRunState DecodePrevState(long prevState)
    {
        long bits = prevState & 0xff;
        if (bits == 0) return ThreadRunState.Runnable;
        if ((bits & 1) != 0) return ThreadRunState.Sleeping;
        if ((bits & 2) != 0) return ThreadRunState.Disk;
        return ThreadRunState.Other;
    }
}
