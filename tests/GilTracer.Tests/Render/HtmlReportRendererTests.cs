using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GilTracer.Core.Model;
using GilTracer.Core.Render;
using GilTracer.Core.Render.Html;

namespace GilTracer.Tests.Render;

/// <summary>The report file as bytes: what is escaped, what the data block holds, what the policy allows.</summary>
public sealed class HtmlReportRendererTests
{
    const string Hostile = "<img src=x onerror=alert(1)>\"'&</script>\u2028";

    static string Render(GilReport report, IEnumerable<GilInterval> intervals, HtmlReportOptions? options = null)
    {
        var r = new HtmlReportRenderer(options);
        foreach (var i in intervals) r.OnGilInterval(i);
        var ms = new MemoryStream();
        r.Write(report, ms);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    static string DataBlock(string html)
    {
        const string open = "<script type=\"application/json\" id=\"data\">";
        int a = html.IndexOf(open, StringComparison.Ordinal) + open.Length;
        int b = html.IndexOf("</script>", a, StringComparison.Ordinal);
        return html[a..b];
    }

    static GilReport OneThread(string name) => new()
    {
        StartNs = 1000, EndNs = 11_000, ExitCode = 0,
        Threads = [new ThreadSummary { Pid = 1, Tid = 1, Name = name, IsMain = true, StartNs = 1000, EndNs = 11_000, HoldNs = 6000, WaitNs = 2000, Acquisitions = 1 }],
        Gils = [new GilSummary(1, 60, 1, 0, 2000, 2000, 2000, 2000, 6000, 0, 1000, 11_000)],
    };

    static readonly GilInterval[] OneThreadSpans =
    [
        new(1, 1, 1000, 3000, GilState.NoGil), new(1, 1, 3000, 5000, GilState.Wait), new(1, 1, 5000, 11_000, GilState.Hold),
    ];

    [Fact]
    public void HostileNames_AreEscapedInTheDataBlock_AndRoundTrip()
    {
        var report = OneThread(Hostile);
        report = report with { Warnings = [Hostile], Blame = [new BlameRow(Hostile, 5, 50, [1])], FlameGraphs = [TestSupport.Flame(Hostile, $"a;{Hostile} 3\n")] };
        var html = Render(report, OneThreadSpans, new HtmlReportOptions { Title = Hostile });
        var data = DataBlock(html);
        Assert.DoesNotContain('<', data);
        Assert.DoesNotContain('>', data);
        Assert.DoesNotContain('&', data);
        Assert.DoesNotContain('\u2028', data);
        Assert.Contains("\\u003Cimg", data);
        // the hostile text appears nowhere in the file outside the escaped data
        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("onerror", html.Replace(data, ""));
        using var doc = JsonDocument.Parse(data);
        var root = doc.RootElement;
        Assert.Equal(Hostile, root.GetProperty("title").GetString());
        Assert.Equal(Hostile, root.GetProperty("report").GetProperty("threads")[0].GetProperty("name").GetString());
        Assert.Equal(Hostile, root.GetProperty("lanes")[0].GetProperty("name").GetString());
        Assert.Equal(Hostile, root.GetProperty("report").GetProperty("warnings")[0].GetString());
        Assert.Equal(Hostile, root.GetProperty("report").GetProperty("blame")[0].GetProperty("function").GetString());
        Assert.Equal(Hostile, root.GetProperty("flames")[0].GetProperty("nodes")[2][2].GetString());
    }

    [Fact]
    public void Page_HasAPolicyThatAllowsOnlyItsOwnScriptAndStyle_AndNoNetwork()
    {
        var html = Render(OneThread("MainThread"), OneThreadSpans);
        var csp = Between(html, "http-equiv=\"Content-Security-Policy\" content=\"", "\"");
        Assert.StartsWith("default-src 'none';", csp);
        var script = Between(html[html.LastIndexOf("<script>", StringComparison.Ordinal)..], "<script>", "</script>");
        var style = Between(html, "<style>", "</style>");
        Assert.Contains($"script-src 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(script)))}'", csp);
        Assert.Contains($"style-src 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(style)))}'", csp);
        // nothing to fetch: no external script, stylesheet, font, image or link
        foreach (var bad in new[] { "src=\"http", "href=\"http", "@import", "url(", "<link", "<img", "fetch(", "XMLHttpRequest" })
            Assert.DoesNotContain(bad, html);
        Assert.Equal(1, CountOf(html, "<script>"));
    }

    [Fact]
    public void PackedSpans_DecodeBackToTheIntervalsGiven()
    {
        var gen = new GilTraceGenerator(2);
        var report = gen.Contention(["worker-1", "worker-2"], 5_000_000, 200_000_000);
        var html = Render(report, gen.Intervals);
        using var doc = JsonDocument.Parse(DataBlock(html));
        long origin = doc.RootElement.GetProperty("originNs").GetInt64();
        Assert.Equal(report.StartNs, origin);
        foreach (var lane in doc.RootElement.GetProperty("lanes").EnumerateArray())
        {
            int tid = lane.GetProperty("tid").GetInt32();
            var expected = gen.Intervals.Where(i => i.Tid == tid).OrderBy(i => i.StartNs).ToList();
            var decoded = Unpack(lane.GetProperty("gil"), origin);
            Assert.Equal(expected.Select(i => (i.StartNs, i.EndNs, (int)i.State)), decoded);
        }
    }

    /// <summary>The page's decoder, in C#: zigzag(gap)*8+state and duration, as 5-bit digits (see ReportDataWriter).</summary>
    static List<(long, long, int)> Unpack(JsonElement track, long origin)
    {
        const string last = "0123456789ABCDEFGHIJKLMNOPQRSTUV", more = "WXYZabcdefghijklmnopqrstuvwxyz-_";
        var z = track.GetProperty("z").GetString()!;
        int p = 0;
        ulong Number()
        {
            ulong v = 0; int shift = 0;
            while (true)
            {
                char c = z[p++];
                int d = more.IndexOf(c);
                if (d < 0) return v | ((ulong)last.IndexOf(c) << shift);
                v |= (ulong)d << shift;
                shift += 5;
            }
        }
        var list = new List<(long, long, int)>();
        long prev = origin;
        for (int i = 0; i < track.GetProperty("n").GetInt32(); i++)
        {
            ulong v = Number();
            int state = (int)(v & 7);
            ulong zz = v >> 3;
            long gap = (long)(zz >> 1) ^ -(long)(zz & 1);
            long s = prev + gap, e = s + (long)Number();
            list.Add((s, e, state));
            prev = e;
        }
        Assert.Equal(z.Length, p);
        return list;
    }

    [Fact]
    public void OverBudget_MergesShortSpans_KeepingEachStatesTimeExact()
    {
        var gen = new GilTraceGenerator(4);
        var report = gen.Contention(["worker-1", "worker-2"], 20_000, 5_000_000_000, targetSpans: 60_000);
        var renderer = new HtmlReportRenderer(new HtmlReportOptions { MaxStoredSpans = 5_000 });
        foreach (var i in gen.Intervals) renderer.OnGilInterval(i);
        Assert.True(renderer.Downsampled);
        Assert.True(renderer.StoredSpans <= 5_000, $"{renderer.StoredSpans} stored");
        Assert.Equal(gen.Intervals.Count, renderer.ReceivedSpans);
        var ms = new MemoryStream();
        renderer.Write(report, ms);
        using var doc = JsonDocument.Parse(DataBlock(Encoding.UTF8.GetString(ms.ToArray())));
        Assert.True(doc.RootElement.GetProperty("spans").GetProperty("mergedBelowNs").GetInt64() > 0);
        foreach (var lane in doc.RootElement.GetProperty("lanes").EnumerateArray())
        {
            int tid = lane.GetProperty("tid").GetInt32();
            var track = lane.GetProperty("gil");
            var spans = Unpack(track, 0);
            var mix = track.GetProperty("m").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var perState = new long[4];
            int m = 0;
            foreach (var (s, e, k) in spans)
            {
                if (k == 7) { for (int q = 0; q < 4; q++) perState[q] += mix[m++]; }
                else perState[k] += e - s;
            }
            Assert.Equal(mix.Length, m);
            for (int q = 0; q < 4; q++)
                Assert.Equal(gen.Intervals.Where(i => i.Tid == tid && (int)i.State == q).Sum(i => i.DurationNs), perState[q]);
        }
    }

    [Fact]
    public void Narrator_SaysWhoWaited_InPlainWords()
    {
        var gen = new GilTraceGenerator(6);
        var report = gen.Contention(["worker-1", "worker-2"], 5_000_000, 1_000_000_000);
        var lines = ReportNarrator.Describe(report);
        Assert.StartsWith("MainThread and 2 other threads, traced for 1.0", lines[0]);
        Assert.InRange(report.Gils[0].HeldPct, 99.5, 99.99);
        Assert.Contains("the GIL was held 99.", lines[0]); // not rounded up to 100 %
        var top = report.Threads.OrderByDescending(t => t.GilWaitPct).First();
        Assert.StartsWith($"{top.Name} spent {top.GilWaitPct:0} % of its life waiting for it", lines[1]);
        Assert.Equal("No thread touched the GIL in this recording.", ReportNarrator.Describe(new GilReport()).Single());
    }

    [Fact]
    public void FlameGraph_FoldsStacksIntoATree()
    {
        var tree = new FlameGraphTree(TestSupport.Flame("t", "a;b;c 3\na;b 2\na;d 5\n"));
        Assert.Equal(10, tree.Total);
        var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms)) tree.WriteJson(w);
        using var doc = JsonDocument.Parse(ms.ToArray());
        var nodes = doc.RootElement.GetProperty("nodes").EnumerateArray()
            .Select(n => (n[0].GetInt32(), n[1].GetInt64(), n[2].GetString())).ToList();
        Assert.Equal([(0, 10L, "all"), (1, 10L, "a"), (2, 5L, "b"), (3, 3L, "c"), (2, 5L, "d")], nodes);
    }

    static string Between(string s, string a, string b)
    {
        int i = s.IndexOf(a, StringComparison.Ordinal);
        Assert.True(i >= 0, $"'{a}' not found");
        i += a.Length;
        return s[i..s.IndexOf(b, i, StringComparison.Ordinal)];
    }

    static int CountOf(string s, string what)
    {
        int n = 0;
        for (int i = s.IndexOf(what, StringComparison.Ordinal); i >= 0; i = s.IndexOf(what, i + 1, StringComparison.Ordinal)) n++;
        return n;
    }
}
