using GilTracer.Console;
using GilTracer.Core.Model;
using Spectre.Console;

namespace GilTracer.Tests.Cli;

/// <summary>The table never breaks a word or a number: piped it is whole, on a narrow terminal it shortens headers,
/// then the thread name, then drops columns and says which.</summary>
public class ReportTableLayoutTests
{
    static GilReport Report(string mainName = "MainThread") => new()
    {
        Gils = [new GilSummary(8718, 92.3, 2070, 57, 0, 0, 5_110_000, 14_920_000, 24_540_000, 0, 0, 1)],
        Threads =
        [
            new ThreadSummary { Pid = 8718, Tid = 8718, Name = mainName, IsMain = true, StartNs = 0, EndNs = 349_500_000, HoldNs = 113_000_000, WaitNs = 5_000_000,
                States = new ThreadStates(37.5, 2.5, 58.5, 1.5, 0) },
            new ThreadSummary { Pid = 8718, Tid = 8721, Name = "needy-1", StartNs = 0, EndNs = 121_700_000, HoldNs = 1_300_000, WaitNs = 101_600_000,
                States = new ThreadStates(1.7, 5.1, 14.5, 78.7, 0) },
        ],
    };

    static string Render(int width, GilReport report)
    {
        var w = new StringWriter();
        var c = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(w), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        c.Profile.Width = width;
        ReportTable.Write(c, report);
        return w.ToString();
    }

    static string[] TableLines(string text) => text.Split('\n').Where(l => l.StartsWith('+') || l.StartsWith('|')).ToArray();

    [Fact]
    public void UnlimitedWidthShowsEveryHeaderWholeOnOneLine()
    {
        var lines = TableLines(Render(GilTracer.Console.Cli.NoWrapWidth, Report()));
        Assert.Equal(6, lines.Length); // border, header, rule, 2 rows, border
        foreach (var h in new[] { "thread", "total (ms)", "no GIL %", "has GIL %", "GIL wait %", "running %", "runnable %", "S(GIL) %", "D %" })
            Assert.Contains(h, lines[1]);
        Assert.Contains("MainThread", lines[3]);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(80)]
    [InlineData(60)]
    [InlineData(40)]
    public void NarrowTerminalShortensWithoutBreakingWords(int width)
    {
        var text = Render(width, Report());
        var lines = TableLines(text);
        Assert.All(lines, l => Assert.True(l.Length <= width, $"'{l}' is wider than {width}"));
        Assert.True(lines.Length == 6, text); // one line per row: nothing wrapped
        Assert.DoesNotContain("hread", lines[1].Replace("thread", ""));
        Assert.Matches(@"MainThread|Main\S*…", lines[3]);
        Assert.Contains("needy-1", lines[4]);
        // the numbers that matter most are always there, whole
        Assert.Contains(" 1.4 ", lines[3]);
        Assert.Contains("83.5", lines[4]);
        if (width <= 60) Assert.Contains("not shown: the terminal is too narrow", text);
    }

    [Fact]
    public void ALongNameIsShortenedWithAnEllipsisBeforeColumnsAreDropped()
    {
        var text = Render(100, Report(mainName: "a-thread-with-a-rather-long-descriptive-name"));
        var lines = TableLines(text);
        Assert.Equal(6, lines.Length);
        Assert.Contains("a-thread-with", lines[3]);
        Assert.Contains("…", lines[3]);
        Assert.Contains("83.5", lines[4]);
    }
}
