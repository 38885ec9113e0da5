using GilTracer.Core.Host;
using GilTracer.Core.Probe;

namespace GilTracer.Tests.Cli;

/// <summary>`run` with Pythons it cannot trace, `doctor`, `probes list|clean`, `setup`: as a user runs them.</summary>
[Collection("perf"), Trait("Category", "Integration")]
public class PythonsCliTests
{
    static void AssertOneErrorLine(CliRunner.Result r, string expected)
    {
        Assert.Equal(1, r.ExitCode);
        var lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines, l => l.StartsWith("giltracer: error: ", StringComparison.Ordinal));
        Assert.Contains(expected, r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Python2IsRefusedInOneLine()
    {
        const string py2 = "/root/.pyenv/versions/2.7.18/bin/python2.7";
        Assert.True(File.Exists(py2), "pyenv 2.7 is part of the machine");
        AssertOneErrorLine(CliRunner.Run(["run", "--python", py2, "-c", "pass"]), "Python 2 is not supported");
    }

    [Fact]
    public void Python37IsRefusedInOneLine()
    {
        const string py37 = "/root/.pyenv/versions/3.7.16/bin/python3.7";
        Assert.True(File.Exists(py37), "pyenv 3.7 is part of the machine");
        AssertOneErrorLine(CliRunner.Run(["run", "--python", py37, "-c", "pass"]), "needs CPython 3.8 or newer");
    }

    [Fact]
    public void OnlyOneOffsetIsAUsageError()
    {
        var r = CliRunner.Run(["run", "--python", PythonInstalls.PyenvPython("3.11.7"), "--take-gil-offset", "0x24f7b0", "-c", "pass"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("give both --take-gil-offset and --drop-gil-offset", r.Stderr);
    }

    [Fact]
    public void DoctorReportsEverythingForTheStrippedDebianPython()
    {
        Assert.True(File.Exists(PythonInstalls.DebianPython), $"{PythonInstalls.DebianPython} is part of the machine (Debian 12)");
        var r = CliRunner.Run(["doctor", "--python", PythonInstalls.DebianPython]);
        Assert.Equal(0, r.ExitCode);
        foreach (var check in new[] { "perf", "root", "tracefs", "sched tracepoints", "uprobes", "recording" })
            Assert.Matches($@"(?m)^ok\s+{check}\s", r.Stdout);
        Assert.Contains("static: in the executable", r.Stdout);
        Assert.Contains("stripped", r.Stdout);
        Assert.Contains("found by heuristic", r.Stdout);
        Assert.Contains("TakeGilAcquire", r.Stdout);
        // drop_gil and its five inlined copies: each release with its end, each forced switch opening and closing
        foreach (var kind in new[] { "ReleaseStart", "ReleaseEnd", "HandoverWait ", "HandoverWaitEnd" })
            Assert.Equal(6, r.Stdout.Split('\n').Count(l => l.TrimStart().StartsWith(kind)));
    }

    [Fact]
    public void DoctorFailsWithAFixForAPythonItCannotTrace()
    {
        var r = CliRunner.Run(["doctor", "--python", "/root/.pyenv/versions/2.7.18/bin/python2.7"]);
        Assert.Equal(1, r.ExitCode);
        var text = System.Text.RegularExpressions.Regex.Replace(r.Stdout, @"\s+", " "); // the console wraps long lines
        Assert.Contains("FAIL python /root/.pyenv/versions/2.7.18/bin/python2.7 is Python 2.7.18: Python 2 is not supported", text);
        Assert.Contains("fix:", r.Stdout);
    }

    /// <summary>A Python inside another root cannot run on the host (sid's glibc): doctor reads it from its file, with the
    /// debug folder given by --debug-dir or else the heuristic, and records its trial program through chroot.</summary>
    [Theory, InlineData(false), InlineData(true)]
    public void DoctorChecksAPythonInsideAnotherRoot(bool debugDir)
    {
        var python = Locate.SidChroot.Python("3.15");
        string[] args = debugDir ? ["doctor", "--python", python, "--debug-dir", Locate.SidChroot.DebugDir("3.15")] : ["doctor", "--python", python];
        var r = CliRunner.Run(args);
        Assert.Equal(0, r.ExitCode);
        var text = System.Text.RegularExpressions.Regex.Replace(r.Stdout, @"\s+", " ");
        Assert.Contains($"ok python {python}: Python 3.15 (read from the file: it runs in the root {Locate.SidChroot.Root})", text);
        Assert.Contains(debugDir ? "found by debuginfo" : "found by heuristic", text);
        Assert.Matches(@"(?m)^ok\s+recording\s+a two-thread test program fired take_gil [1-9]", r.Stdout);
    }

    [Fact]
    public void ADebugDirThatIsNoFolderIsAUsageError()
    {
        var r = CliRunner.Run(["doctor", "--debug-dir", "/nonexistent/debug"]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("giltracer: error: --debug-dir: no folder /nonexistent/debug", r.Stderr.Trim());
    }

    /// <summary>A group whose owner died (a SIGKILLed run) is listed as stale and cleaned; live groups are left alone.</summary>
    [Fact]
    public void ProbesCleanRemovesOnlyGroupsOfDeadOwners()
    {
        // A pid that is surely dead: a process we started and reaped.
        using var gone = System.Diagnostics.Process.Start("true")!;
        gone.WaitForExit();
        int deadPid = gone.Id;
        var stale = $"{UprobeGroup.Prefix}{deadPid}_1";
        var lib = PythonInstalls.PyenvLibrary("3.11.7");
        File.AppendAllText(TraceFs.UprobeEvents, $"p:{stale}/take_gil {lib}:0x24f7b0\n");
        try
        {
            var list = CliRunner.Run(["probes", "list"]);
            Assert.Equal(0, list.ExitCode);
            Assert.Contains($"{stale}  owner pid {deadPid} dead", list.Stdout);

            var clean = CliRunner.Run(["probes", "clean"]);
            Assert.Equal(0, clean.ExitCode);
            Assert.Contains(stale, clean.Stdout);
            Assert.DoesNotContain(UprobeGroup.ListDefined(), g => g.Group == stale);
            // Groups of live giltracer runs (other tests, other users) were not touched: all remaining owners are alive.
            Assert.All(UprobeGroup.ListDefined(), g => Assert.True(UprobeGroup.OwnerAlive(g.OwnerPid)));
        }
        finally { UprobeGroup.RemoveGroups([stale]); }
    }

    /// <summary>The kernel refuses to remove probes a perf records from: clean says so once, names the perf, exits 1.</summary>
    [Fact]
    public void ProbesCleanSaysOnceThatAGroupInUseStays()
    {
        using var gone = System.Diagnostics.Process.Start("true")!;
        gone.WaitForExit();
        var stale = $"{UprobeGroup.Prefix}{gone.Id}_1";
        File.AppendAllText(TraceFs.UprobeEvents, $"p:{stale}/take_gil {PythonInstalls.PyenvLibrary("3.11.7")}:0x24f7b0\n");
        var data = Path.Combine(Integration.Repo.TempDir(), "perf.data");
        var perf = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("perf")
            { ArgumentList = { "record", "-q", "-e", $"{stale}:*", "-o", data, "--", "sleep", "60" }, RedirectStandardError = true })!;
        try
        {
            // perf has the probe open once its event fds exist
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (DateTime.UtcNow < deadline && !Directory.EnumerateFiles($"/proc/{perf.Id}/fd").Any(f => new FileInfo(f).LinkTarget?.Contains("perf_event") == true))
                Thread.Sleep(50);
            var clean = CliRunner.Run(["probes", "clean"]);
            Assert.Equal(1, clean.ExitCode);
            Assert.DoesNotContain("removed", clean.Stdout);
            var line = Assert.Single(clean.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal($"giltracer: error: not removed: {stale} (in use by perf, pid {perf.Id}); stop that perf, then run `giltracer probes clean` again", line);
            Assert.Contains(UprobeGroup.ListDefined(), g => g.Group == stale);
            Assert.Contains($"dead, but perf (pid {perf.Id}) still records from it", System.Text.RegularExpressions.Regex.Replace(CliRunner.Run(["probes", "list"]).Stdout, @"\s+", " "));
        }
        finally
        {
            Libc.Kill(perf.Id, Libc.SIGINT);
            perf.WaitForExit();
            UprobeGroup.RemoveGroups([stale]);
        }
        Assert.DoesNotContain(UprobeGroup.ListDefined(), g => g.Group == stale);
    }

    [Fact]
    public void SetupLeavesAMountedTracefsAlone()
    {
        var r = CliRunner.Run(["setup"]);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("tracefs is already mounted at /sys/kernel/tracing: nothing to do", r.Stdout);
    }
}
