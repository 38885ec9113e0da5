using System.Diagnostics;
using System.Text.Json;
using GilTracer.Core.Host;
using GilTracer.Core.Probe;

namespace GilTracer.Tests.Cli;

/// <summary>
/// Signals as users send them, with real processes: Ctrl-C typed at a terminal (a pseudo-terminal driven by
/// Scripts/pty_driver.py), SIGINT to giltracer alone, and SIGKILL, after which nothing of the recording may run on.
/// </summary>
[Collection("perf"), Trait("Category", "Integration")]
public class SignalTests
{
    static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : Integration.Repo.Pyenv("3.11.7");

    static string Script(string dir, string code)
    {
        var path = Path.Combine(dir, "app.py");
        File.WriteAllText(path, code);
        return path;
    }

    /// <summary>Runs giltracer on a new terminal (it leads the session, so its group is the foreground) and types the steps.</summary>
    static (int Exit, string Output) AtTerminal(string[] steps, params string[] args)
    {
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "Scripts", "pty_driver.py") }.Concat(steps)
                     .Concat(["--", "dotnet", Path.Combine(AppContext.BaseDirectory, "giltracer.dll")]).Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(180_000)) { p.Kill(true); throw new TimeoutException("the terminal session did not end"); }
        var text = stdout.Result;
        Assert.True(p.ExitCode == 0, $"pty driver failed ({p.ExitCode}):\n{text}\n{stderr.Result}");
        var last = text.TrimEnd().Split('\n')[^1];
        Assert.StartsWith("EXIT ", last);
        return (int.Parse(last[5..]), text);
    }

    const string KeyboardInterruptHandler = """
        import os, time
        print("pgrp", os.getpgrp(), "foreground", os.tcgetpgrp(0) == os.getpgrp(), flush=True)
        print("ready", flush=True)
        try:
            while True:
                time.sleep(0.01)
        except KeyboardInterrupt:
            print("handler ran", flush=True)
            raise
        """;

    [Fact]
    public void CtrlCAtTheTerminalReachesTheProgramAsKeyboardInterrupt()
    {
        var dir = Integration.Repo.TempDir();
        var script = Script(dir, KeyboardInterruptHandler);
        var (exit, output) = AtTerminal(["wait:ready", "sleep:0.5", @"send:\x03"], "run", "-o", dir, script);
        Assert.Equal(130, exit); // python's own code for an unhandled KeyboardInterrupt (it dies of SIGINT)
        Assert.Contains("foreground True", output); // the program owns the terminal
        Assert.Contains("handler ran", output);
        Assert.Contains("KeyboardInterrupt", output);
        Assert.Contains("MainThread", output); // giltracer then printed the table
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json"))))
            Assert.Equal(130, summary.RootElement.GetProperty("exit_code").GetInt32());
        // The program's group is giltracer's (the session's): giltracer's pid. Its probes are gone.
        var pgrp = int.Parse(output.Split('\n').First(l => l.StartsWith("pgrp ")).Split(' ')[1]);
        Assert.DoesNotContain(UprobeGroup.ListDefined(), g => g.OwnerPid == pgrp);
    }

    [Fact]
    public void TheProgramKeepsTheTerminal_AndASecondCtrlCKillsIt()
    {
        var dir = Integration.Repo.TempDir();
        var script = Script(dir, """
            import signal, time
            name = input("name? ")
            print("got", name, flush=True)
            def first(sig, frame):
                print("first Ctrl-C: ignoring the next ones", flush=True)
                signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGINT, first)
            print("ready", flush=True)
            while True:
                time.sleep(0.01)
            """);
        var (exit, output) = AtTerminal(["wait:name? ", @"send:abc\n", "wait:ready", "sleep:0.3", @"send:\x03", "wait:ignoring", "sleep:0.3", @"send:\x03"],
            "run", "-o", dir, script);
        Assert.Contains("got abc", output); // input() read the terminal
        Assert.Equal(128 + 9, exit);         // the second Ctrl-C killed it
        Assert.Contains("MainThread", output);
        Assert.True(File.Exists(Path.Combine(dir, "summary.json")));
    }

    [Fact]
    public void SigintToGiltracerAloneIsPassedOnOnce()
    {
        var dir = Integration.Repo.TempDir();
        var script = Script(dir, KeyboardInterruptHandler.Replace("os.tcgetpgrp(0) == os.getpgrp()", "None"));
        using var p = CliRunner.Start(["run", "-o", dir, script], newSession: true); // no terminal: only giltracer gets the signal
        Assert.StartsWith("pgrp", p.StandardOutput.ReadLine());
        Assert.Equal("ready", p.StandardOutput.ReadLine());
        Thread.Sleep(300);
        Libc.Kill(p.Id, Libc.SIGINT);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(60_000), "giltracer did not end after SIGINT");
        Assert.Equal(130, p.ExitCode);
        Assert.Contains("handler ran", stdout.Result);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(stderr.Result, "KeyboardInterrupt"));
        Assert.Contains("MainThread", stdout.Result);
    }

    /// <summary>The processes under pid (children, theirs, …).</summary>
    static List<int> Descendants(int pid)
    {
        var found = new List<int>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            string children;
            try { children = File.ReadAllText(Path.Combine(task, "children")); } catch (IOException) { continue; }
            foreach (var c in children.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse))
            {
                found.Add(c);
                found.AddRange(Descendants(c));
            }
        }
        return found;
    }

    static string Comm(int pid) => File.ReadAllText($"/proc/{pid}/comm").Trim();

    /// <summary>Gone, or a zombie nobody has reaped yet (this machine's init reaps late): either way it runs no more.</summary>
    static bool Dead(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException) { return true; }
    }

    static void AssertAllDie(IEnumerable<int> pids)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline && !pids.All(Dead)) Thread.Sleep(100);
        Assert.All(pids, pid => Assert.True(Dead(pid), $"process {pid} still runs after giltracer was killed"));
    }

    [Fact]
    public void SigkillOfRunTakesPerfAndTheProgramWithIt_AndTheNextRunRemovesTheProbes()
    {
        var dir = Integration.Repo.TempDir();
        var script = Script(dir, "import time\nprint('ready', flush=True)\nwhile True:\n    time.sleep(0.01)\n");
        using var p = CliRunner.Start(["run", "--state", "-o", dir, script], newSession: true);
        Assert.Equal("ready", p.StandardOutput.ReadLine());
        var tree = Descendants(p.Id);
        Assert.Equal(2, tree.Count(pid => Comm(pid) == "perf")); // the GIL recording and --state's system-wide one
        Assert.Single(tree, pid => Comm(pid).StartsWith("python"));
        p.Kill(); // SIGKILL
        p.WaitForExit();
        AssertAllDie(tree);

        // Only the probe group is left (perf's control FIFOs were deleted once perf opened them) ...
        Assert.Contains(UprobeGroup.ListDefined(), g => g.OwnerPid == p.Id);
        Assert.Empty(Directory.EnumerateDirectories(Path.GetTempPath(), $"giltracer-ctl-{p.Id}-*"));
        // ... and the next run removes it.
        var next = CliRunner.Run(["run", "-q", "-o", Integration.Repo.TempDir(), "-c", "pass"]);
        Assert.Equal(0, next.ExitCode);
        Assert.DoesNotContain(UprobeGroup.ListDefined(), g => g.OwnerPid == p.Id);
    }

    /// <summary>run -- COMMAND: the Python is found only at its exec (a shell starts it), so it gets a perf of its own.</summary>
    [Fact]
    public void SigkillOfRunCommandTakesEachPerfAndTheCommandWithIt()
    {
        var dir = Integration.Repo.TempDir();
        var script = Script(dir, "import time\nprint('ready', flush=True)\nwhile True:\n    time.sleep(0.01)\n");
        using var p = CliRunner.Start(["run", "-o", dir, "--", "sh", "-c", $"{Integration.Repo.Pyenv("3.11.7")} {script}"], newSession: true);
        Assert.Equal("ready", p.StandardOutput.ReadLine());
        var tree = Descendants(p.Id);
        Assert.Single(tree, pid => Comm(pid) == "perf");
        Assert.Single(tree, pid => Comm(pid).StartsWith("python"));
        Assert.Single(tree, pid => Comm(pid) == "sh");
        p.Kill(); // SIGKILL
        p.WaitForExit();
        AssertAllDie(tree);
        UprobeGroup.RemoveGroups(UprobeGroup.ListDefined().Where(g => g.OwnerPid == p.Id).Select(g => g.Group));
    }

    [Fact]
    public void SigkillOfAttachTakesPerfWithIt_TheTargetLivesOn()
    {
        var target = Process.Start(new ProcessStartInfo(Integration.Repo.Pyenv("3.11.7"))
            { ArgumentList = { Integration.Repo.Example("attach_target.py"), "60" }, RedirectStandardOutput = true })!;
        try
        {
            Assert.Equal("ready", target.StandardOutput.ReadLine());
            var dir = Integration.Repo.TempDir();
            var ready = Path.Combine(dir, "ready");
            using var p = CliRunner.Start(["attach", target.Id.ToString(), "-o", dir, "--ready-file", ready], newSession: true);
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!File.Exists(ready) && DateTime.UtcNow < deadline && !p.HasExited) Thread.Sleep(50);
            Assert.True(File.Exists(ready), "attach did not start recording");
            var perf = Assert.Single(Descendants(p.Id), pid => Comm(pid) == "perf");
            p.Kill();
            p.WaitForExit();
            AssertAllDie([perf]);
            Assert.False(Dead(target.Id), "the attached process must survive");
            UprobeGroup.RemoveGroups(UprobeGroup.ListDefined().Where(g => g.OwnerPid == p.Id).Select(g => g.Group));
        }
        finally
        {
            target.Kill();
            target.WaitForExit();
        }
    }
}
