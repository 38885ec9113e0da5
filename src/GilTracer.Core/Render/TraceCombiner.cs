using System.Text.Json;
using GilTracer.Core.Model;

namespace GilTracer.Core.Render;

/// <summary>
/// `giltracer combine`: merges Chrome trace JSON files (ours, VizTracer's, per4m's, anything in the Trace Event
/// format: {"traceEvents":[…]} or a bare array) into one. All of them must put ts on the same clock: ours and
/// VizTracer's are µs of CLOCK_MONOTONIC (perf -k CLOCK_MONOTONIC, time.monotonic_ns), so they line up as they
/// are; a file on another base can be moved with a per-input shift. Events are copied unchanged (ts shifted).
/// </summary>
public static class TraceCombiner
{
    public sealed record Input(string Path, double ShiftMicros = 0);

    public static long Combine(IReadOnlyList<Input> inputs, Stream output)
    {
        if (inputs.Count == 0) throw new GilTracerException("nothing to combine: give one or more trace JSON files", 2);
        long events = 0;
        var docs = new List<(JsonDocument Doc, JsonElement Events, double Shift)>();
        try
        {
            foreach (var input in inputs)
            {
                if (!File.Exists(input.Path)) throw new GilTracerException($"trace not found: {input.Path}");
                JsonDocument doc;
                try
                {
                    using var f = File.OpenRead(input.Path);
                    doc = JsonDocument.Parse(f, new JsonDocumentOptions { AllowTrailingCommas = true });
                }
                catch (JsonException e)
                {
                    throw new GilTracerException($"{input.Path} is not JSON ({e.Message.Split('.')[0]}); combine takes Chrome trace JSON files");
                }
                var root = doc.RootElement;
                var evs = root.ValueKind == JsonValueKind.Array ? root
                    : root.ValueKind == JsonValueKind.Object && root.TryGetProperty("traceEvents", out var te) && te.ValueKind == JsonValueKind.Array ? te
                    : throw new GilTracerException($"{input.Path} is not a Chrome trace (no traceEvents array)");
                docs.Add((doc, evs, input.ShiftMicros));
            }
            using var w = new Utf8JsonWriter(output);
            w.WriteStartObject();
            w.WriteString("displayTimeUnit", "ns");
            w.WriteStartArray("traceEvents");
            foreach (var (_, evs, shift) in docs)
                foreach (var e in evs.EnumerateArray())
                {
                    events++;
                    if (shift == 0 || e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("ts", out var ts) || ts.ValueKind != JsonValueKind.Number)
                    {
                        e.WriteTo(w);
                        continue;
                    }
                    w.WriteStartObject();
                    foreach (var p in e.EnumerateObject())
                    {
                        if (p.NameEquals("ts")) w.WriteNumber("ts", Math.Round(p.Value.GetDouble() + shift, 3));
                        else p.WriteTo(w);
                    }
                    w.WriteEndObject();
                    if (w.BytesPending > 1 << 16) w.Flush();
                }
            w.WriteEndArray();
            w.WriteEndObject();
            w.Flush();
        }
        finally
        {
            foreach (var d in docs) d.Doc.Dispose();
        }
        return events;
    }

    public static long Combine(IReadOnlyList<Input> inputs, string outputPath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(outputPath));
        if (dir is not null) Directory.CreateDirectory(dir);
        // write to a temporary file first: an output that is also an input must be read whole before it is replaced
        var tmp = outputPath + ".tmp";
        long n;
        using (var f = File.Create(tmp)) n = Combine(inputs, f);
        File.Move(tmp, outputPath, overwrite: true);
        return n;
    }
}
