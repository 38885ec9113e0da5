using System.Text.Json;
using GilTracer.Core.Model;

namespace GilTracer.Core.Render;

/// <summary>Writes summary.json (its fields: docs/summary-json.md).</summary>
public sealed class SummaryJsonRenderer(OutputFiles files, string path) : IReportOutput
{
    public void Write(GilReport report)
    {
        using var f = files.Create(path);
        Write(report, f);
    }

    public static void Write(GilReport r, Stream output)
    {
        using var w = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        WriteFields(w, r);
        w.WriteEndObject();
    }

    /// <summary>The summary's fields, into the object the writer is in: summary.json, and report.html's data.</summary>
    public static void WriteFields(Utf8JsonWriter w, GilReport r)
    {
        w.WriteNumber("version", r.Version);
        if (r.ExitCode is { } code) w.WriteNumber("exit_code", code); else w.WriteNull("exit_code");
        w.WriteNumber("start_ns", r.StartNs);
        w.WriteNumber("duration_ns", r.DurationNs);
        w.WriteNumber("events", r.EventCount);
        w.WriteNumber("lost_events", r.LostEvents);
        w.WriteNumber("duplicate_events", r.DuplicateEvents);
        w.WriteStartArray("warnings");
        foreach (var warning in r.Warnings) w.WriteStringValue(warning);
        w.WriteEndArray();

        w.WriteStartArray("gils");
        foreach (var g in r.Gils)
        {
            w.WriteStartObject();
            w.WriteNumber("pid", g.Pid);
            JsonNumbers.WritePct(w, "held_pct", g.HeldPct);
            w.WriteNumber("acquisitions", g.Acquisitions);
            w.WriteNumber("switches", g.Switches);
            w.WriteNumber("wait_p50_ns", g.WaitP50Ns);
            w.WriteNumber("wait_p90_ns", g.WaitP90Ns);
            w.WriteNumber("wait_p99_ns", g.WaitP99Ns);
            w.WriteNumber("wait_max_ns", g.WaitMaxNs);
            w.WriteNumber("longest_hold_ns", g.LongestHoldNs);
            w.WriteNumber("overlap_violations", g.OverlapViolations);
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("threads");
        foreach (var t in r.Threads)
        {
            w.WriteStartObject();
            w.WriteNumber("pid", t.Pid);
            w.WriteNumber("tid", t.Tid);
            w.WriteString("name", t.Name);
            w.WriteBoolean("is_main", t.IsMain);
            w.WriteNumber("start_ns", t.StartNs);
            w.WriteNumber("total_ns", t.TotalNs);
            JsonNumbers.WritePct(w, "no_gil_pct", t.NoGilPct);
            JsonNumbers.WritePct(w, "has_gil_pct", t.HasGilPct);
            JsonNumbers.WritePct(w, "gil_wait_pct", t.GilWaitPct);
            w.WriteNumber("hold_ns", t.HoldNs);
            w.WriteNumber("wait_ns", t.WaitNs);
            w.WriteNumber("release_ns", t.ReleaseNs);
            w.WriteNumber("acquisitions", t.Acquisitions);
            if (t.States is { } s)
            {
                w.WriteStartObject("states");
                JsonNumbers.WritePct(w, "running_pct", s.RunningPct);
                JsonNumbers.WritePct(w, "runnable_pct", s.RunnablePct);
                JsonNumbers.WritePct(w, "sleeping_pct", s.SleepingPct);
                JsonNumbers.WritePct(w, "sleeping_gil_pct", s.SleepingGilPct);
                JsonNumbers.WritePct(w, "disk_pct", s.DiskPct);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("blame");
        foreach (var b in r.Blame)
        {
            w.WriteStartObject();
            w.WriteString("function", b.Function);
            w.WriteNumber("caused_wait_ns", b.CausedWaitNs);
            JsonNumbers.WritePct(w, "pct_of_all_wait", b.PctOfAllWait);
            w.WriteStartArray("victim_tids");
            foreach (var v in b.VictimTids) w.WriteNumberValue(v);
            w.WriteEndArray();
            if (b.Name is not null) w.WriteString("name", b.Name);
            if (b.File is not null) w.WriteString("file", b.File);
            w.WriteNumber("line", b.Line);
            w.WriteNumber("inclusive_wait_ns", b.InclusiveWaitNs);
            w.WriteStartArray("victim_names");
            foreach (var v in b.VictimNames ?? []) w.WriteStringValue(v);
            w.WriteEndArray();
            w.WriteStartArray("holder_tids");
            foreach (var v in b.HolderTids ?? []) w.WriteNumberValue(v);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();

        w.WriteStartArray("who_blocks_whom");
        foreach (var e in r.BlockMatrix)
        {
            w.WriteStartObject();
            w.WriteNumber("pid", e.Pid);
            w.WriteNumber("holder_tid", e.HolderTid);
            w.WriteString("holder", e.HolderName);
            w.WriteNumber("waiter_tid", e.WaiterTid);
            w.WriteString("waiter", e.WaiterName);
            w.WriteNumber("wait_ns", e.WaitNs);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (r.FunctionTracing is { } f)
        {
            w.WriteStartObject("function_tracing");
            w.WriteString("mode", f.Mode);
            w.WriteString("python", f.PythonVersion);
            w.WriteNumber("records", f.Records);
            w.WriteNumber("functions", f.Functions);
            w.WriteNumber("est_ns_per_event", Math.Round(f.EstNsPerEvent, 1));
            w.WriteNumber("est_overhead_ns", f.EstOverheadNs);
            w.WriteBoolean("truncated", f.Truncated);
            w.WriteNumber("handoff_wait_ns", f.HandoffWaitNs);
            w.WriteNumber("blame_floor_ns", f.FloorNs);
            w.WriteNumber("functions_below_floor", f.RowsBelowFloor);
            w.WriteNumber("wait_below_floor_ns", f.WaitBelowFloorNs);
            w.WriteEndObject();
        }
    }
}
