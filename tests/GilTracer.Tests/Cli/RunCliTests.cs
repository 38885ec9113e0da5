using System.Text.Json;
using GilTracer.Core.Host;
using GilTracer.Core.Probe;

namespace GilTracer.Tests.Cli;

/// <summary>`giltracer run` as a user runs it: exit codes, crashes and Ctrl-C, with real perf.</summary>
[Collection("perf"), Trait("Category", "Integration")]
public class RunCliTests
{
    const string Spin = "import threading\ndef f():\n    while True: pass\nfor i in range(2): threading.Thread(target=f, daemon=True, name=f'spin-{i}').start()\nf()";

    [Fact]
    public void CtrlCStopsTheProgramKeepsTheRecordingAndRemovesTheProbes()
    {
        var dir = Integration.Repo.TempDir();
        using var p = CliRunner.Start(["run", "-o", dir, "-c", Spin], newSession: true); // no terminal: only giltracer gets the signal
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var names = Path.Combine(dir, "threads.jsonl");
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline && !(File.Exists(names) && File.ReadAllLines(names).Length >= 3)) Thread.Sleep(100);
        Thread.Sleep(500);
        Assert.Contains(UprobeGroup.ListDefined(), g => g.OwnerPid == p.Id); // probes are live while recording
        Libc.Kill(p.Id, Libc.SIGINT); // SIGINT to giltracer alone, as `kill -INT` would
        Assert.True(p.WaitForExit(60_000), "giltracer did not stop after SIGINT");
        Assert.Equal(130, p.ExitCode); // passed on to the program: its KeyboardInterrupt, its exit status
        Assert.DoesNotContain(UprobeGroup.ListDefined(), g => g.OwnerPid == p.Id);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
        var threads = summary.RootElement.GetProperty("threads").EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Contains("spin-0", threads);
        Assert.Contains("spin-1", threads);
        Assert.Contains("spin-0", stdout.Result);
        Assert.DoesNotContain("   at ", stderr.Result);
    }

    [Fact]
    public void CrashingProgramKeepsItsRecordingAndExitCode()
    {
        var dir = Integration.Repo.TempDir();
        var r = CliRunner.Run(["run", "-o", dir, "-c", "import os, signal, threading\nthreading.Thread(target=sum, args=(range(10**6),)).start()\nos.kill(os.getpid(), signal.SIGSEGV)"]);
        Assert.Equal(128 + 11, r.ExitCode);
        Assert.True(File.Exists(Path.Combine(dir, "summary.json")));
        Assert.Contains("MainThread", r.Stdout);
    }

    [Fact]
    public void ScriptArgumentsAndExitCodePassThrough()
    {
        var dir = Integration.Repo.TempDir();
        var script = Path.Combine(dir, "app.py");
        File.WriteAllText(script, "import sys\nprint('argv', sys.argv[1:], __name__)\nsys.exit(5)\n");
        var summary = Path.Combine(dir, "elsewhere", "s.json");
        var r = CliRunner.Run(["run", "-o", dir, "--summary-json", summary, script, "-o", "--verbose", "x y"]);
        Assert.Equal(5, r.ExitCode);
        Assert.Contains("argv ['-o', '--verbose', 'x y'] __main__", r.Stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(summary));
        Assert.Equal(5, doc.RootElement.GetProperty("exit_code").GetInt32());
    }
}
