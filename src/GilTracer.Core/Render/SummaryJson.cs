using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using GilTracer.Core.Model;

namespace GilTracer.Core.Render;

/// <summary>
/// summary.json's schema as types (documented in docs/summary-json.md): the report as scripts read it. Serialized by
/// System.Text.Json source generation (<see cref="SummaryJsonContext"/>: snake_case names, no reflection, AOT-safe),
/// into summary.json and into report.html's data alike, so that the file and the page cannot disagree.
/// </summary>
public sealed record SummaryJson(
    int Version, string GiltracerVersion, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SummaryJson.PythonRow? Python,
    int? ExitCode, long StartNs, long DurationNs, long Events, long LostEvents, long DuplicateEvents,
    IReadOnlyList<string> Warnings, IReadOnlyList<SummaryJson.GilRow> Gils, IReadOnlyList<SummaryJson.ThreadRow> Threads,
    IReadOnlyList<SummaryJson.BlameEntry> Blame, IReadOnlyList<SummaryJson.BlockRow> WhoBlocksWhom,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] SummaryJson.TracingRow? FunctionTracing)
{
    /// <summary>GilTracer's version (Directory.Build.props' &lt;Version&gt;, as --version prints it).</summary>
    public static readonly string GilTracerVersion =
        typeof(SummaryJson).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public sealed record PythonRow(string Executable, string Version);

    public sealed record GilRow(int Pid, [property: JsonConverter(typeof(RoundedPercentConverter))] double HeldPct, long Acquisitions, long Switches,
        long WaitP50Ns, long WaitP90Ns, long WaitP99Ns, long WaitMaxNs, long LongestHoldNs, long OverlapViolations);

    public sealed record ThreadRow(int Pid, int Tid, string Name, bool IsMain, long StartNs, long TotalNs,
        [property: JsonConverter(typeof(RoundedPercentConverter))] double NoGilPct, [property: JsonConverter(typeof(RoundedPercentConverter))] double HasGilPct, [property: JsonConverter(typeof(RoundedPercentConverter))] double GilWaitPct,
        long HoldNs, long WaitNs, long ReleaseNs, long Acquisitions,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] StatesRow? States);

    public sealed record StatesRow([property: JsonConverter(typeof(RoundedPercentConverter))] double RunningPct, [property: JsonConverter(typeof(RoundedPercentConverter))] double RunnablePct, [property: JsonConverter(typeof(RoundedPercentConverter))] double SleepingPct,
        [property: JsonConverter(typeof(RoundedPercentConverter))] double SleepingGilPct, [property: JsonConverter(typeof(RoundedPercentConverter))] double DiskPct);

    public sealed record BlameEntry(string Function, long CausedWaitNs, [property: JsonConverter(typeof(RoundedPercentConverter))] double PctOfAllWait, IReadOnlyList<int> VictimTids,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Name,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? File,
        int Line, long InclusiveWaitNs, IReadOnlyList<string> VictimNames, IReadOnlyList<int> HolderTids);

    public sealed record BlockRow(int Pid, int HolderTid, string Holder, int WaiterTid, string Waiter, long WaitNs);

    public sealed record TracingRow(string Mode, string Python, long Records, long Functions, double EstNsPerEvent,
        long EstOverheadNs, bool Truncated, long HandoffWaitNs, long BlameFloorNs, int FunctionsBelowFloor, long WaitBelowFloorNs);

    public static SummaryJson Of(GilReport r) => new(r.Version, GilTracerVersion,
        r.Python is { } py ? new PythonRow(py.Executable, py.Version) : null, r.ExitCode, r.StartNs, r.DurationNs, r.EventCount, r.LostEvents,
        r.DuplicateEvents, r.Warnings,
        [.. r.Gils.Select(g => new GilRow(g.Pid, g.HeldPct, g.Acquisitions, g.Switches, g.WaitP50Ns, g.WaitP90Ns, g.WaitP99Ns, g.WaitMaxNs,
            g.LongestHoldNs, g.OverlapViolations))],
        [.. r.Threads.Select(t => new ThreadRow(t.Pid, t.Tid, t.Name, t.IsMain, t.StartNs, t.TotalNs, t.NoGilPct, t.HasGilPct, t.GilWaitPct,
            t.HoldNs, t.WaitNs, t.ReleaseNs, t.Acquisitions,
            t.States is { } s ? new StatesRow(s.RunningPct, s.RunnablePct, s.SleepingPct, s.SleepingGilPct, s.DiskPct) : null))],
        [.. r.Blame.Select(b => new BlameEntry(b.Function, b.CausedWaitNs, b.PctOfAllWait, b.VictimTids, b.Name, b.File, b.Line,
            b.InclusiveWaitNs, b.VictimNames ?? [], b.HolderTids ?? []))],
        [.. r.BlockMatrix.Select(e => new BlockRow(e.Pid, e.HolderTid, e.HolderName, e.WaiterTid, e.WaiterName, e.WaitNs))],
        r.FunctionTracing is { } f
            ? new TracingRow(f.Mode, f.PythonVersion, f.Records, f.Functions, Math.Round(f.EstNsPerEvent, 1), f.EstOverheadNs,
                f.Truncated, f.HandoffWaitNs, f.FloorNs, f.RowsBelowFloor, f.WaitBelowFloorNs)
            : null);

    public void Write(Stream output) => JsonSerializer.Serialize(output, this, SummaryJsonContext.Default.SummaryJson);

    /// <summary>As the value of the property the writer is at (report.html's "report"), in the writer's own format.</summary>
    public void Write(Utf8JsonWriter writer) => JsonSerializer.Serialize(writer, this, SummaryJsonContext.Default.SummaryJson);
}

/// <summary>Percentages rounded to 0.001, enough for the table and stable in tests; JSON has no NaN (an empty life),
/// so that is null.</summary>
public sealed class RoundedPercentConverter : JsonConverter<double>
{
    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (double.IsFinite(value)) writer.WriteNumberValue(Math.Round(value, 3)); else writer.WriteNullValue();
    }

    public override bool HandleNull => true;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(SummaryJson))]
internal sealed partial class SummaryJsonContext : JsonSerializerContext;
