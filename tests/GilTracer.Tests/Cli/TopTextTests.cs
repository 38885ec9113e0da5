using GilTracer.Console;
using GilTracer.Core.Model;
using GilTracer.Core.Pipeline;
using GilTracer.Core.Locate;
using GilTracer.Core.Render;
using GilTracer.Tests.Integration;
using GilTracer.Tests.Locate;

namespace GilTracer.Tests.Cli;

/// <summary>top's plain blocks (logs, pipes): aligned, no escape sequences, names' controls shown escaped; and COMMAND's forms
/// (a Python with script, module or code; any command that execs a CPython in its own process, resolved before it runs).</summary>
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
    [InlineData("sleep 60", "'sleep' runs /usr/bin/sleep, which is not a Python")]
    [InlineData("python3", "needs a script")]
    [InlineData("python3 -m", "-m needs a value")]
    [InlineData("python3 -", "not supported")]
    public void OtherCommandsAreUsageErrors(string command, string message)
    {
        var e = Assert.Throws<GilTracerException>(() => TopProgram.Parse(command.Split(' '), () => "python3", path: "/usr/bin"));
        Assert.Contains(message, e.Message);
        Assert.Equal(2, e.ExitCode);
    }

    static string Executable(string dir, string name, string text, bool executable = true)
    {
        var p = Path.Combine(dir, name);
        File.WriteAllText(p, text);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(p, UnixFileMode.UserRead | UnixFileMode.UserWrite | (executable ? UnixFileMode.UserExecute : 0));
        return p;
    }

    [Fact]
    public void ACommandThatExecsAPythonIsStartedAsGivenWithItsPythonFoundBeforeItRuns()
    {
        var dir = Repo.TempDir();
        try
        {
            // a console script (pip writes #!<the environment's python>), as ./name from its folder
            var pyenv = Repo.Pyenv("3.11.7");
            Executable(dir, "contend", $"#!{pyenv}\nimport sys\nsys.exit(3)\n");
            var script = TopProgram.Parse(["./contend", "--fast"], () => throw new InvalidOperationException("no default Python for a command"), "/usr/bin", dir);
            Assert.Equal(TargetKind.Command, script.Target.Kind);
            Assert.Equal(pyenv, script.Python);
            Assert.Equal(pyenv, script.Resolved!.HostPath);
            Assert.Equal(["./contend", "--fast"], script.Argv(script.Python, "/boot.py")); // as given: no bootstrap
            // a shared build: its libpython, where its loader will map it from
            Assert.Equal(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(pyenv)!, "../lib/libpython3.11.so.1.0")),
                script.Resolved.GilBinary(PythonImage.Of(script.Python), null));

            // env and its NAME=VALUE, then a Python by name on PATH: Debian's static build (its own GIL code)
            var env = TopProgram.Parse(["env", "FOO=1", "python3.11", "app.py"], () => "unused", "/usr/bin", dir);
            Assert.Equal("/usr/bin/python3.11", env.Resolved!.HostPath);
            Assert.Equal(["env", "FOO=1", "python3.11", "app.py"], env.Argv(env.Python, "/boot.py"));
            Assert.Equal("/usr/bin/python3.11", env.Resolved.GilBinary(PythonImage.Of(env.Python), null));

            // chroot into another root: the Python inside it, by its host path
            var chroot = TopProgram.Parse(["chroot", SidChroot.Root, "python3.15", "/tmp/x.py"], () => "unused", "/usr/sbin:/usr/bin", dir);
            Assert.True(chroot.Resolved!.InOtherRoot);
            Assert.Equal(SidChroot.Python("3.15"), chroot.Resolved.HostPath);
            Assert.Equal("/usr/bin/python3.15", chroot.Resolved.PathInRoot);

            // a file that is not executable and not *.py is a script for the default Python, as before
            Executable(dir, "plain", "print(1)\n", executable: false);
            var plain = TopProgram.Parse(["plain"], () => "/usr/bin/python3.11", "/usr/bin", dir);
            Assert.Equal(TargetKind.Script, plain.Target.Kind);
            Assert.Null(plain.Resolved);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ACommandThatStartsPythonElsewhereIsOneUsageErrorThatSaysWhatTopCanFollow()
    {
        var dir = Repo.TempDir();
        try
        {
            void Refused(string[] command, string why, int code = 2)
            {
                var e = Assert.Throws<GilTracerException>(() => TopProgram.Parse(command, () => "python3", "/usr/sbin:/usr/bin:/sbin:/bin", dir));
                Assert.Contains(why, e.Message);
                Assert.Equal(code, e.ExitCode);
                Assert.DoesNotContain('\n', e.Message);
                if (code == 2) Assert.Contains("use giltracer run -- COMMAND, or giltracer top PID once the Python runs", e.Message);
            }
            // a shell starting Python in a child, and a shell script doing so
            Refused(["sh", "-c", "python3 x.py"], "'sh' runs /usr/bin/dash, which is not a Python");
            Executable(dir, "start.sh", "#!/bin/sh\nexec python3 app.py\n");
            Refused(["./start.sh"], "'./start.sh' runs /usr/bin/dash (through #!/bin/sh), which is not a Python");
            // unshare --fork runs the command in a child (also as a cluster, and --kill-child implies it)
            Refused(["unshare", "--pid", "--fork", "chroot", SidChroot.Root, "python3.15", "x.py"], "in a child process");
            Refused(["unshare", "-pf", "chroot", SidChroot.Root, "python3.15", "x.py"], "in a child process");
            Refused(["unshare", "--pid", "--kill-child", "python3.11", "x.py"], "in a child process");
            // what cannot be told before the run: env with no command, chroot into nothing
            Refused(["env", "A=1"], "cannot be told before it starts");
            Refused(["chroot", Path.Combine(dir, "no-root"), "python3", "x.py"], "cannot be told before it starts");
            // a first word that names nothing: 127, as a shell and run -- say
            Refused(["no-such-command-here"], "command not found on PATH: no-such-command-here", 127);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void UnshareWithoutForkExecsInPlace()
    {
        var p = TopProgram.Parse(["unshare", "--mount", "-R", SidChroot.Root, "python3.15", "x.py"], () => "unused", "/usr/sbin:/usr/bin");
        Assert.False(p.Resolved!.InChild);
        Assert.Equal(SidChroot.Python("3.15"), p.Resolved.HostPath);
    }
}
