using System.Text;
using System.Text.Json;
using GilTracer.Core.Model;
using GilTracer.Core.Render;

namespace GilTracer.Tests.Render;

/// <summary>summary.json's typed schema: snake_case names, percentages rounded to 0.001 and NaN as null, optional
/// parts left out, and the same serialization inside report.html.</summary>
public class SummaryJsonTests
{
    static readonly GilReport Report = new()
    {
        StartNs = 1000, EndNs = 4000, ExitCode = null, EventCount = 7,
        Gils = [new GilSummary(5, double.NaN, 3, 2, 10, 20, 30, 40, 50, 0, 1000, 4000)],
        Threads = [new ThreadSummary { Pid = 5, Tid = 5, Name = "MainThread", IsMain = true, StartNs = 1000, EndNs = 4000, HoldNs = 1000, WaitNs = 1 }],
        Blame = [new BlameRow("f (a.py:1)", 10, 12.345678, [6])],
    };

    static JsonElement Parse(GilReport report)
    {
        var ms = new MemoryStream();
        SummaryJson.Of(report).Write(ms);
        return JsonDocument.Parse(ms.ToArray()).RootElement.Clone();
    }

    [Fact]
    public void PercentagesAreRoundedAndNaNIsNull()
    {
        var root = Parse(Report);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("gils")[0].GetProperty("held_pct").ValueKind);
        var t = root.GetProperty("threads")[0];
        Assert.Equal(33.333, t.GetProperty("has_gil_pct").GetDouble());
        Assert.Equal(0.033, t.GetProperty("gil_wait_pct").GetDouble());
        Assert.Equal(12.346, root.GetProperty("blame")[0].GetProperty("pct_of_all_wait").GetDouble());
        Assert.Equal(20, root.GetProperty("gils")[0].GetProperty("wait_p90_ns").GetInt64());
    }

    [Fact]
    public void OptionalPartsAreLeftOutButExitCodeIsNull()
    {
        var root = Parse(Report);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("exit_code").ValueKind);
        Assert.False(root.TryGetProperty("function_tracing", out _));
        Assert.False(root.GetProperty("threads")[0].TryGetProperty("states", out _));
        var blame = root.GetProperty("blame")[0];
        Assert.False(blame.TryGetProperty("name", out _));
        Assert.Equal(0, blame.GetProperty("victim_names").GetArrayLength());
        Assert.False(root.TryGetProperty("python", out _)); // run only
        Assert.Equal(["version", "giltracer_version", "exit_code", "start_ns", "duration_ns", "events", "lost_events", "duplicate_events", "warnings",
            "gils", "threads", "blame", "who_blocks_whom"], root.EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void TheReportEmbedsTheSameFields()
    {
        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WritePropertyName("report");
            SummaryJson.Of(Report).Write(w);
            w.WriteEndObject();
        }
        var embedded = JsonDocument.Parse(ms.ToArray()).RootElement.GetProperty("report").GetRawText();
        Assert.DoesNotContain('\n', embedded); // in the writer's own (compact) format
        Assert.Equal(JsonSerializer.Serialize(JsonDocument.Parse(embedded).RootElement), JsonSerializer.Serialize(Parse(Report)));
    }
}
