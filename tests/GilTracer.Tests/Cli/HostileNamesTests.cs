using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;
using GilTracer.Core.Analyze;
using GilTracer.Core.Model;
using GilTracer.Core.Render;

namespace GilTracer.Tests.Cli;

/// <summary>Names from the traced program are shown, never interpreted: controls escaped in every text output.</summary>
public class DisplayTextTests
{
    [Theory]
    [InlineData("\x1b[2J\x1b[H", @"\x1b[2J\x1b[H")]
    [InlineData("\x1b]0;x\x07", @"\x1b]0;x\x07")]
    [InlineData("bell\a", @"bell\x07")]
    [InlineData("cr\rback\b", @"cr\rback\x08")]
    [InlineData("tab\there", @"tab\there")]
    [InlineData("a;b\nc", @"a;b\nc")]
    [InlineData("csi\u009b1m", @"csi\x9b1m")]
    [InlineData("del\u007f", @"del\x7f")]
    [InlineData("\u202eevil", @"\u202eevil")]
    [InlineData("iso\u2066late\u2069", @"iso\u2066late\u2069")]
    [InlineData("back\\slash", @"back\\slash")]
    [InlineData("名前🙂", "名前🙂")]
    [InlineData("emoji 👩‍💻 zwj", "emoji 👩‍💻 zwj")]
    [InlineData("MainThread", "MainThread")]
    public void ControlsAreEscapedPrintableUnicodeIsKept(string name, string shown)
    {
        Assert.Equal(shown, DisplayText.Escape(name));
        Assert.DoesNotContain(DisplayText.Escape(name), c => c < 0x20 || c is >= '\u007f' and <= '\u009f' or '\u202e');
    }

    [Fact]
    public void LoneSurrogatesAreEscaped()
    {
        Assert.Equal(@"lone\ud800", DisplayText.Escape("lone" + (char)0xd800));
        Assert.Equal(@"\udc00x", DisplayText.Escape((char)0xdc00 + "x"));
    }

    [Fact]
    public void FoldedFramesEscapeTheSeparatorToo()
    {
        Assert.Equal(@"a\x3bb\nc", FlameStacks.Clean("a;b\nc"));
        Assert.Equal("?", FlameStacks.Clean(""));
        Assert.Equal("名前🙂", FlameStacks.Clean("名前🙂"));
    }

    [Fact]
    public void TheTableShowsHostileNamesEscaped()
    {
        var report = new GilReport
        {
            Threads = HostileNamesRunTests.Names.Select((n, i) => new ThreadSummary { Pid = 1, Tid = 10 + i, Name = n, StartNs = 0, EndNs = 1_000_000 }).ToList(),
        };
        var w = new StringWriter();
        var c = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(w), Ansi = Spectre.Console.AnsiSupport.No,
            ColorSystem = Spectre.Console.ColorSystemSupport.NoColors, Interactive = Spectre.Console.InteractionSupport.No,
        });
        c.Profile.Width = GilTracer.Console.Cli.NoWrapWidth;
        GilTracer.Console.ReportTable.Write(c, report);
        HostileNamesRunTests.AssertShownEscaped(w.ToString());
    }
}

/// <summary>A real program whose threads have hostile names, traced by `giltracer run` and `attach`.</summary>
[Collection("perf"), Trait("Category", "Integration")]
public class HostileNamesRunTests
{
    public static readonly string[] Names =
        ["\x1b[2J\x1b[H", "\x1b]0;x\x07", "bell\a", "cr\r", "bs\b", "tab\t", "csi\u009b", "\u202eevil", "名前🙂", "a;b\nc"];

    /// <summary>No control reaches the text; each name is there, escaped; printable Unicode as it is.</summary>
    internal static void AssertShownEscaped(string text)
    {
        Assert.DoesNotContain(text, c => c < 0x20 && c != '\n' || c is >= '\u007f' and <= '\u009f' or '\u202e');
        foreach (var n in Names) Assert.Contains(DisplayText.Escape(n), text);
        Assert.Contains(@"\x1b[2J\x1b[H", text);
        Assert.Contains(@"a;b\nc", text);
        Assert.Contains("名前🙂", text);
    }

    const string Program = """
        import threading
        NAMES = ["\x1b[2J\x1b[H", "\x1b]0;x\x07", "bell\a", "cr\r", "bs\b", "tab\t", "csi\u009b", "\u202eevil", "名前🙂", "a;b\nc"]
        def work():
            s = 0
            for i in range(300_000): s += i
        ts = [threading.Thread(target=work, name=n) for n in NAMES]
        for t in ts: t.start()
        for t in ts: t.join()
        """;

    [Fact]
    public void RunShowsThemEscapedInTheTableFoldedAndSvgAndExactInJson()
    {
        var dir = Integration.Repo.TempDir();
        var script = Path.Combine(dir, "names.py");
        File.WriteAllText(script, Program);
        var r = CliRunner.Run(["run", "--functions", "-o", dir, "--python", Integration.Repo.Pyenv("3.12.1"), script]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        AssertShownEscaped(r.Stdout);
        Assert.DoesNotContain(r.Stderr, c => c < 0x20 && c != '\n' || c is '\u009b' or '\u202e');

        // summary.json and trace.json keep the names exact
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var names = summary.RootElement.GetProperty("threads").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        foreach (var n in Names) Assert.Contains(n, names);
        using var trace = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "trace.json")));
        var traceNames = trace.RootElement.GetProperty("traceEvents").EnumerateArray()
            .Where(e => e.GetProperty("name").GetString() == "thread_name").Select(e => e.GetProperty("args").GetProperty("name").GetString()).ToList();
        foreach (var n in Names) Assert.Contains(n, traceNames);

        foreach (var graph in new[] { "flame-holding", "flame-waiting", "flame-offgil" })
        {
            var folded = File.ReadAllText(Path.Combine(dir, graph + ".folded"));
            foreach (var line in folded.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                Assert.Matches(@"^[^\x00-\x1f\u007f-\u009f\u202e]+ \d+$", line);
                var root = line[..line.LastIndexOf(' ')].Split(';')[0];
                Assert.Contains(root, Names.Select(FlameStacks.Clean).Append("MainThread"));
            }
            Assert.Contains(@"a\x3bb\nc;", folded);
            var svg = XDocument.Parse(File.ReadAllText(Path.Combine(dir, graph + ".svg"))); // valid XML
            Assert.DoesNotContain(svg.ToString(), c => c is '\x1b' or '\a' or '\u009b' or '\u202e');
        }
        Assert.Contains(@"\x1b[2J\x1b[H", File.ReadAllText(Path.Combine(dir, "flame-offgil.svg")));
    }

    [Fact]
    public void AttachShowsKernelNamesEscaped()
    {
        // /proc/…/comm holds what a thread sets: escapes too (15 bytes at most)
        const string target = """
            import threading, time
            def work(name):
                with open(f"/proc/self/task/{threading.get_native_id()}/comm", "wb") as f: f.write(name)
                while True: sum(range(10000))
            for n in [b"\x1b[2J\x1b[H", b"bell\x07tab\t"]:
                threading.Thread(target=work, args=(n,), daemon=True).start()
            time.sleep(0.5)
            print("ready", flush=True)
            time.sleep(60)
            """;
        var psi = new ProcessStartInfo(Integration.Repo.Pyenv("3.12.1")) { UseShellExecute = false, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(target);
        using var python = Process.Start(psi)!;
        try
        {
            Assert.Equal("ready", python.StandardOutput.ReadLine());
            var r = CliRunner.Run(["attach", python.Id.ToString(), "--duration", "1", "-o", Integration.Repo.TempDir()]);
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.DoesNotContain(r.Stdout, c => c < 0x20 && c != '\n');
            Assert.Contains(@"\x1b[2J\x1b[H", r.Stdout);
            Assert.Contains(@"bell\x07tab\t", r.Stdout);
        }
        finally { python.Kill(); }
    }

    [Fact]
    public void ErrorsQuotingAPathShowItEscaped()
    {
        var r = CliRunner.Run(["convert", "gil", "/nonexistent/\x1b[2Jtrace\a.txt", "-o", Integration.Repo.TempDir()]);
        Assert.Equal(1, r.ExitCode);
        Assert.DoesNotContain(r.Stderr, c => c is '\x1b' or '\a');
        Assert.Contains(@"\x1b[2Jtrace\x07.txt", r.Stderr);
    }
}
