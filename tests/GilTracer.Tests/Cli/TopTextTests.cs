using GilTracer.Console;
using GilTracer.Core.Model;
using GilTracer.Core.Pipeline;
using GilTracer.Core.Render;

namespace GilTracer.Tests.Cli;

/// <summary>top's plain blocks (logs, pipes): aligned, no escape sequences, names' controls shown escaped; and COMMAND's forms.</summary>
public class TopTextTests
{
    static LiveThreadRow Row(int tid, string name, long wait, long hold) =>
        new(5, tid, name, tid == 5, new LifeShares(1_000_000_000, wait, hold, 40), default, default, new LifeShares(60_000_000_000, wait * 60, hold * 60, 2400), 40, 12_000_000);

    [Fact]
    public void OneBlockPerIntervalWithControlCharactersEscaped()
    {
        var frame = new LiveFrame(10_000_000_000, 1_000_000_000, 3_000_000_000, 4321, 0, [new LiveGilRow(5, 99.5, 2, 812)],
            [Row(6, "worker-1", 500_000_000, 490_000_000), Row(7, "\u001b[2J\u0007\r\u009b\u202eevil\\", 600_000_000, 390_000_000),
             Row(8, new string('x', 40), 0, 0)]);
        var block = TopText.Block(frame, 5, TopSort.Wait);
        Assert.DoesNotContain('\u001b', block);
        Assert.DoesNotContain('\u0007', block);
        Assert.DoesNotContain('\r', block);
        Assert.DoesNotContain('\u009b', block);
        Assert.DoesNotContain('\u202e', block);
        Assert.Contains("\\x1b[2J\\x07\\r\\x9b\\u202eevil\\\\", block);
        var lines = block.Split('\n');
        Assert.StartsWith("giltracer top · pid 5 · 3.0 s · every 1.0 s · 4321 events/s · 0 lost", lines[0]);
        Assert.Equal("GIL of pid 5: held 99.5 % · 2 waiting now · 812 acquisitions/s", lines[1]);
        Assert.Contains("wait %", lines[2]);
        Assert.StartsWith("  7  \\x1b", lines[3]); // sorted by wait: 60 % first
        Assert.StartsWith("  6  worker-1 ", lines[4]);
        Assert.StartsWith("  8  " + new string('x', 31) + "…  ", lines[5]); // cut, so that the columns stay aligned
        Assert.Equal("", lines[6]);
        Assert.Equal(lines[3].IndexOf("60.0", StringComparison.Ordinal), lines[4].IndexOf("50.0", StringComparison.Ordinal));
        Assert.Equal(lines[3].IndexOf("60.0", StringComparison.Ordinal) + 1, lines[5].IndexOf("0.0", StringComparison.Ordinal)); // right-aligned
    }

    [Theory]
    [InlineData("plain name", "plain name")]
    [InlineData("名前 🐍", "名前 🐍")]
    [InlineData("a\tb\nc\u007f", "a\\tb\\nc\\x7f")]
    [InlineData("\u202e\u2028", "\\u202e\\u2028")]
    public void RowNamesKeepPrintableUnicodeAndEscapeTheRest(string name, string shown) => Assert.Equal(shown, DisplayText.Escape(name));

    [Fact]
    public void LoneSurrogatesAreShownAsCodes() => Assert.Equal("a\\ud800b\\udc00", DisplayText.Escape("a\ud800b\udc00"));

    [Theory]
    [InlineData("python3 app.py a b", null, "Script", "app.py", "a b", "")]
    [InlineData("python3 -u -X dev -m http.server 8000", null, "Module", "http.server", "8000", "-u -X dev")]
    [InlineData("python3 -c print(1) x", null, "Code", "print(1)", "x", "")]
    [InlineData("app.py --fast", "/usr/bin/python3", "Script", "app.py", "--fast", "")]
    public void CommandsAreAPythonWithScriptModuleOrCode(string command, string? python, string kind, string value, string args, string options)
    {
        var p = TopProgram.Parse(command.Split(' '), () => "/usr/bin/python3");
        Assert.Equal(kind, p.Target.Kind.ToString());
        Assert.Equal(value, p.Target.Value);
        Assert.Equal(args, string.Join(' ', p.Target.Arguments));
        Assert.Equal(options, string.Join(' ', p.PythonOptions));
        if (python is not null) Assert.Equal(python, p.Python);
        Assert.Equal([p.Python, .. p.PythonOptions, "/boot.py", .. kind == "Module" ? ["-m"] : kind == "Code" ? new[] { "-c" } : [], value, .. p.Target.Arguments],
            p.Argv(p.Python, "/boot.py"));
    }

    [Theory]
    [InlineData("gunicorn app:app", "is not a Python")]
    [InlineData("python3", "needs a script")]
    [InlineData("python3 -m", "-m needs a value")]
    [InlineData("python3 -", "not supported")]
    public void OtherCommandsAreUsageErrors(string command, string message)
    {
        var e = Assert.Throws<GilTracerException>(() => TopProgram.Parse(command.Split(' '), () => "python3"));
        Assert.Contains(message, e.Message);
        Assert.Equal(2, e.ExitCode);
    }
}
