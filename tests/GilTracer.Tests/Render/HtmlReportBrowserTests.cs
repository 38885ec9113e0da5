using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using GilTracer.Core.Model;
using GilTracer.Core.Render.Html;
using Xunit.Abstractions;

namespace GilTracer.Tests.Render;

/// <summary>Browser tests run alone: the 1M-span load time is measured, not raced against perf tests.</summary>
[CollectionDefinition("Browser", DisableParallelization = true)]
public sealed class BrowserCollection;

/// <summary>The HTML report in headless Chromium: what a person would see, checked by a script.</summary>
[Trait("Category", "Browser")]
[Collection("Browser")]
public sealed class HtmlReportBrowserTests
{
    const string Hostile = "<img src=x onerror=alert(1)>\"'&";
    readonly ITestOutputHelper _out;
    readonly string _dir;

    public HtmlReportBrowserTests(ITestOutputHelper output)
    {
        _out = output;
        _dir = Path.Combine(Path.GetTempPath(), "giltracer-html-tests");
        Directory.CreateDirectory(_dir);
    }

    string WriteReport(string name, GilTraceGenerator gen, GilReport report, HtmlReportOptions? options = null)
    {
        var renderer = new HtmlReportRenderer(options);
        foreach (var i in gen.Intervals) renderer.OnGilInterval(i);
        foreach (var i in gen.Sched) renderer.OnSchedInterval(i);
        var path = Path.Combine(_dir, name);
        renderer.Write(report, path);
        return path;
    }

    static void AssertCleanPage(JsonElement r)
    {
        Assert.Equal("[]", r.GetProperty("consoleErrors").GetRawText());
        Assert.Equal("[]", r.GetProperty("pageErrors").GetRawText());
        Assert.Equal("[]", r.GetProperty("requests").GetRawText());
        Assert.Equal("[]", r.GetProperty("dialogs").GetRawText());
    }

    static void AssertEveryLaneDrawn(JsonElement r, GilReport report)
    {
        var lanes = r.GetProperty("lanes").EnumerateArray().ToList();
        Assert.Equal(report.Threads.Count, lanes.Count);
        foreach (var t in report.Threads)
        {
            var lane = lanes.Single(l => l.GetProperty("tid").GetInt32() == t.Tid);
            double share = lane.GetProperty("paintedPixels").GetDouble() / lane.GetProperty("totalPixels").GetDouble();
            // the lane's bar is painted over the thread's life at the widest zoom
            double life = (double)t.TotalNs / report.DurationNs;
            Assert.True(share > life * 0.8, $"lane of {t.Name}: {share:P0} of its bar painted, thread lives {life:P0} of the recording");
        }
    }

    [BrowserFact]
    public void ContentionReport_LoadsCleanly_ShowsTheReportsNumbers_AndZooms()
    {
        var gen = new GilTraceGenerator(7);
        var report = gen.Contention(["worker-1", "worker-2"], holdNs: 5_000_000, durationNs: 2_000_000_000, withSched: true);
        var path = WriteReport("contention.html", gen, report, new HtmlReportOptions { Title = "giltracer run examples/two_threads.py" });
        var r = BrowserCheck.Run(path);
        _out.WriteLine($"load to first paint: {r.GetProperty("loadToFirstPaintMs")} ms");

        AssertCleanPage(r);
        AssertEveryLaneDrawn(r, report);
        Assert.Contains("MainThread and 2 other threads", r.GetProperty("summaryText").GetString());
        Assert.Contains("the GIL was held", r.GetProperty("summaryText").GetString());

        // the thread table shows the report's numbers: exact in data-value, one decimal in the text
        var rows = r.GetProperty("threads").GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(report.Threads.Count, rows.Count);
        foreach (var t in report.Threads)
        {
            var cells = rows.Single(x => x.GetProperty("key").GetString() == $"{t.Pid}:{t.Tid}").GetProperty("cells");
            Assert.Equal(t.Name, cells.GetProperty("name").GetProperty("text").GetString());
            AssertPct(cells, "no_gil_pct", t.NoGilPct);
            AssertPct(cells, "has_gil_pct", t.HasGilPct);
            AssertPct(cells, "gil_wait_pct", t.GilWaitPct);
            AssertPct(cells, "sleeping_gil_pct", t.States!.SleepingGilPct);
            Assert.Equal(t.Acquisitions.ToString(CultureInfo.InvariantCulture), cells.GetProperty("acquisitions").GetProperty("value").GetString());
            Assert.Equal(t.TotalNs.ToString(CultureInfo.InvariantCulture), cells.GetProperty("total_ns").GetProperty("value").GetString());
        }
        var gil = r.GetProperty("gils").GetProperty("rows")[0].GetProperty("cells");
        AssertPct(gil, "held_pct", report.Gils[0].HeldPct);
        Assert.Equal(report.Gils[0].WaitP99Ns.ToString(CultureInfo.InvariantCulture), gil.GetProperty("wait_p99_ns").GetProperty("value").GetString());

        // wheel zoom narrows the visible range, a drag pans it, a double-click shows everything again
        var before = r.GetProperty("zoom").GetProperty("before");
        var after = r.GetProperty("zoom").GetProperty("after");
        double spanBefore = before.GetProperty("t1").GetDouble() - before.GetProperty("t0").GetDouble();
        double spanAfter = after.GetProperty("t1").GetDouble() - after.GetProperty("t0").GetDouble();
        Assert.True(spanAfter < spanBefore * 0.5, $"zoom: {spanBefore} -> {spanAfter}");
        Assert.True(r.GetProperty("pan").GetProperty("after").GetProperty("t0").GetDouble() < after.GetProperty("t0").GetDouble());
        Assert.Equal(spanBefore, r.GetProperty("afterReset").GetProperty("t1").GetDouble() - r.GetProperty("afterReset").GetProperty("t0").GetDouble(), 3);
        Assert.Contains("MainThread", r.GetProperty("tooltip").GetString());
        Assert.Equal($"{GilTraceGenerator.Pid}:{GilTraceGenerator.Pid}", r.GetProperty("selectedRowKey").GetString());
        Assert.Equal(["MainThread", "worker-1", "worker-2"], r.GetProperty("sortedNames").EnumerateArray().Select(e => e.GetString()));
    }

    static void AssertPct(JsonElement cells, string key, double expected) =>
        TestSupport.AssertShownPct(cells.GetProperty(key), Math.Round(expected, 3)); // summary.json's rounding

    [BrowserFact]
    public void HostileThreadName_IsShownAsLiteralText_AndRunsNothing()
    {
        var gen = new GilTraceGenerator(3);
        var report = gen.Contention([Hostile, "</script><script>alert(2)</script>"], 5_000_000, 300_000_000);
        report = report with
        {
            Warnings = ["warning with " + Hostile],
            FlameGraphs = [TestSupport.Flame("held while others waited", $"main;{Hostile} 10\nmain;work 5\n")],
        };
        var path = WriteReport("hostile.html", gen, report, new HtmlReportOptions { Title = Hostile });
        var r = BrowserCheck.Run(path);

        AssertCleanPage(r);
        Assert.Equal(0, r.GetProperty("imgElements").GetInt32());
        Assert.Contains(Hostile, r.GetProperty("labels").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("</script><script>alert(2)</script>", r.GetProperty("labels").EnumerateArray().Select(e => e.GetString()));
        var names = r.GetProperty("threads").GetProperty("rows").EnumerateArray()
            .Select(x => x.GetProperty("cells").GetProperty("name").GetProperty("text").GetString()).ToList();
        Assert.Contains(Hostile, names);
        Assert.Contains(Hostile, r.GetProperty("title").GetString());
        Assert.Contains(Hostile, r.GetProperty("notesText").GetString());
        Assert.Equal(1, r.GetProperty("flameCanvases").GetInt32());
    }

    /// <summary>Short holds (hashing threads handing over every few µs) and switch-interval holds (5 ms: longer numbers to encode).</summary>
    [BrowserTheory]
    [InlineData(40_000L)]
    [InlineData(5_000_000L)]
    public void MillionSpanReport_OpensInUnderFiveSeconds(long holdNs)
    {
        var gen = new GilTraceGenerator(11);
        var report = gen.Contention(["worker-1", "worker-2", "worker-3", "worker-4"], holdNs, durationNs: long.MaxValue / 4, targetSpans: 1_000_000);
        var sw = Stopwatch.StartNew();
        var path = WriteReport($"million-{holdNs}.html", gen, report);
        long writeMs = sw.ElapsedMilliseconds;
        Assert.True(gen.Intervals.Count >= 1_000_000, $"{gen.Intervals.Count} spans");
        var r = BrowserCheck.Run(path);
        double load = r.GetProperty("loadToFirstPaintMs").GetDouble();
        string line = $"1M-span report ({holdNs / 1000} µs holds): {gen.Intervals.Count:N0} spans, {new FileInfo(path).Length / 1e6:F1} MB written in {writeMs} ms; " +
                      $"load to first paint {load:F0} ms (navigation to painted frame: {r.GetProperty("firstPaintMs").GetDouble():F0} ms; " +
                      $"renderer main thread busy {r.GetProperty("mainThreadBusyMs")} ms of CPU, {r.GetProperty("scriptMs")} ms of it script)";
        _out.WriteLine(line);
        System.Console.WriteLine(line);
        AssertCleanPage(r);
        AssertEveryLaneDrawn(r, report);
        Assert.DoesNotContain("Downsampled", r.GetProperty("notesText").GetString());
        Assert.True(load < 5000, line);
    }

    [BrowserFact]
    public void OverBudgetReport_IsDownsampled_AndSaysSo()
    {
        var gen = new GilTraceGenerator(5);
        var report = gen.Contention(["worker-1", "worker-2"], holdNs: 20_000, durationNs: 10_000_000_000, targetSpans: 200_000);
        var path = WriteReport("downsampled.html", gen, report, new HtmlReportOptions { MaxStoredSpans = 20_000 });
        var r = BrowserCheck.Run(path);
        AssertCleanPage(r);
        AssertEveryLaneDrawn(r, report);
        Assert.Contains("Downsampled", r.GetProperty("notesText").GetString());
    }

    [BrowserFact]
    public void BlameAndFlameGraphs_AreShownWhenPresent()
    {
        var gen = new GilTraceGenerator(9);
        var report = gen.Contention(["hog", "needy-1", "needy-2"], 5_000_000, 500_000_000);
        var tids = report.Threads.Where(t => t.Name.StartsWith("needy")).Select(t => t.Tid).ToList();
        report = report with
        {
            Blame = [new BlameRow("hog_the_gil (app.py:12)", 400_000_000, 81.5, tids), new BlameRow("<gc gen 2>", 20_000_000, 4.1, tids.Take(1).ToList())],
            FlameGraphs =
            [
                TestSupport.Flame("where threads held the GIL while others waited", "main;run;hog_the_gil 400000000\nmain;run;<gc gen 2> 20000000\n"),
                TestSupport.Flame("where threads waited", "main;run;needy 300000000\n"),
            ],
        };
        var path = WriteReport("blame.html", gen, report);
        var r = BrowserCheck.Run(path);
        AssertCleanPage(r);
        var rows = r.GetProperty("blame").GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal("hog_the_gil (app.py:12)", rows[0].GetProperty("cells").GetProperty("function").GetProperty("text").GetString());
        Assert.Equal("<gc gen 2>", rows[1].GetProperty("cells").GetProperty("function").GetProperty("text").GetString());
        Assert.Equal("needy-1, needy-2", rows[0].GetProperty("cells").GetProperty("victims").GetProperty("text").GetString());
        Assert.Equal(2, r.GetProperty("flameCanvases").GetInt32());
        Assert.Contains("Most of the waiting (82 %) happened while hog_the_gil (app.py:12) held the GIL.", r.GetProperty("summaryText").GetString());
    }
}
