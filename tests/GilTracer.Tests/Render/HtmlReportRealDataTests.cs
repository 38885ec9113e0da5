using System.Globalization;
using System.Text.Json;
using GilTracer.Core.Pipeline;
using GilTracer.Tests.Integration;

namespace GilTracer.Tests.Render;

/// <summary>
/// report.html from the real pipeline (a committed real recording, and a real perf run) in headless
/// Chromium: every thread has a drawn lane and the tables show exactly what summary.json says.
/// </summary>
public static class RealReportAssertions
{
    public static void TablesMatchSummaryJson(JsonElement page, string summaryJsonPath)
    {
        Assert.Equal("[]", page.GetProperty("consoleErrors").GetRawText());
        Assert.Equal("[]", page.GetProperty("pageErrors").GetRawText());
        Assert.Equal("[]", page.GetProperty("requests").GetRawText());
        using var doc = JsonDocument.Parse(File.ReadAllText(summaryJsonPath));
        var summary = doc.RootElement;
        var threads = summary.GetProperty("threads").EnumerateArray().ToList();
        var rows = page.GetProperty("threads").GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(threads.Count, rows.Count);
        var lanes = page.GetProperty("lanes").EnumerateArray().ToList();
        Assert.Equal(threads.Count, lanes.Count);
        foreach (var t in threads)
        {
            string key = $"{t.GetProperty("pid").GetInt32()}:{t.GetProperty("tid").GetInt32()}";
            var cells = rows.Single(r => r.GetProperty("key").GetString() == key).GetProperty("cells");
            Assert.Equal(t.GetProperty("name").GetString(), cells.GetProperty("name").GetProperty("text").GetString());
            foreach (var field in new[] { "no_gil_pct", "has_gil_pct", "gil_wait_pct" })
            {
                TestSupport.AssertShownPct(cells.GetProperty(field), t.GetProperty(field).GetDouble());
            }
            Assert.Equal(t.GetProperty("acquisitions").GetInt64(), (long)Value(cells, "acquisitions"));
            Assert.Equal(t.GetProperty("total_ns").GetInt64(), (long)Value(cells, "total_ns"));
            var lane = lanes.Single(l => $"{l.GetProperty("pid").GetInt32()}:{l.GetProperty("tid").GetInt32()}" == key);
            Assert.True(lane.GetProperty("paintedPixels").GetInt32() > 0, $"lane of {key} is empty");
        }
        var gil = summary.GetProperty("gils")[0];
        var gilCells = page.GetProperty("gils").GetProperty("rows")[0].GetProperty("cells");
        TestSupport.AssertShownPct(gilCells.GetProperty("held_pct"), gil.GetProperty("held_pct").GetDouble());
        foreach (var field in new[] { "acquisitions", "switches", "wait_p50_ns", "wait_p99_ns", "wait_max_ns", "overlap_violations" })
            Assert.Equal(gil.GetProperty(field).GetInt64(), (long)Value(gilCells, field));
    }

    static double Value(JsonElement cells, string key) =>
        double.Parse(cells.GetProperty(key).GetProperty("value").GetString()!, CultureInfo.InvariantCulture);
}

[Trait("Category", "Browser")]
[Collection("Browser")]
public sealed class HtmlReportFromRecordingTests
{
    [BrowserFact]
    public void ConvertedRealRecording_ShowsEveryThread_AndSummaryJsonsNumbers()
    {
        var dir = Path.Combine(Path.GetTempPath(), "giltracer-html-tests", "convert-fixture");
        var outputs = new OutputOptions(dir);
        ConvertPipeline.Convert(TestSupport.DataPath("two_threads_gil.txt"), ConvertMode.Gil, outputs);
        Assert.True(File.Exists(outputs.HtmlPath));
        var page = BrowserCheck.Run(outputs.HtmlPath);
        RealReportAssertions.TablesMatchSummaryJson(page, outputs.SummaryPath);
    }
}

/// <summary>The real thing: perf, uprobes, pyenv Python, then the page in Chromium.</summary>
[Collection("perf"), Trait("Category", "Integration"), Trait("Category", "Browser")]
public sealed class HtmlReportFromPerfRunTests
{
    [BrowserFact]
    public void TwoThreadsRun_ReportShowsEveryThread_AndSummaryJsonsNumbers()
    {
        var dir = Repo.TempDir();
        var run = Repo.Run(Repo.Pyenv("3.11.7"), new RunTarget(TargetKind.Script, Repo.Example("two_threads.py"), []), dir);
        var outputs = new OutputOptions(dir);
        var page = BrowserCheck.Run(outputs.HtmlPath);
        RealReportAssertions.TablesMatchSummaryJson(page, outputs.SummaryPath);
        Assert.Contains("worker-1", page.GetProperty("labels").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(run.Report.Threads.Count, page.GetProperty("lanes").GetArrayLength());
    }

    /// <summary>--functions --state: blame, flame graphs, the state strip, and the hovered moment's Python call.</summary>
    [BrowserFact]
    public void HogRunWithFunctionsAndStates_ReportShowsBlameFlameGraphsAndCalls()
    {
        var dir = Repo.TempDir();
        var outputs = new OutputOptions(dir);
        var run = RunPipeline.Run(new RunOptions(new RunTarget(TargetKind.Script, Repo.Example("hog_the_gil.py"), ["0.5"]), outputs,
            Repo.Pyenv("3.11.7"), Functions: true, EnableSched: true));
        Assert.DoesNotContain(GilTracer.Core.Probe.UprobeGroup.ListDefined(), g => g.OwnerPid == Environment.ProcessId);
        var page = BrowserCheck.Run(outputs.HtmlPath);
        RealReportAssertions.TablesMatchSummaryJson(page, outputs.SummaryPath);
        var blame = page.GetProperty("blame").GetProperty("rows")[0].GetProperty("cells");
        Assert.StartsWith("hog_the_gil (hog_the_gil.py:", blame.GetProperty("function").GetProperty("text").GetString());
        Assert.Equal(3, page.GetProperty("flameCanvases").GetInt32());
        Assert.Contains("running_pct", page.GetProperty("threads").GetProperty("headers").EnumerateArray().Select(h => h.GetString()));
        // the hover lands mid-recording on MainThread, which is then inside Thread.join
        var tooltip = page.GetProperty("tooltip").GetString()!;
        Assert.Contains("MainThread", tooltip);
        Assert.Contains("\nin ", tooltip);
        Assert.Contains("Python functions were traced", page.GetProperty("notesText").GetString());
        Assert.True(run.Report.Blame.Count > 0);
    }
}
