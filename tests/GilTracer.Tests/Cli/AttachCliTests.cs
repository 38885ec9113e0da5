using System.Diagnostics;
using GilTracer.Core.Locate;

namespace GilTracer.Tests.Cli;

/// <summary>`giltracer attach` with PIDs it cannot trace: one line each, exit 1.</summary>
[Collection("perf"), Trait("Category", "Integration")]
public class AttachCliTests
{
    static Process Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        return p;
    }

    [Fact]
    public void PidThatDoesNotExist()
    {
        int pid = 4_000_000;
        while (Directory.Exists($"/proc/{pid}")) pid++;
        CliRunner.AssertOneLineError(CliRunner.Run(["attach", pid.ToString(), "-o", Integration.Repo.TempDir()]), $"no process with pid {pid}");
        CliRunner.AssertOneLineError(CliRunner.Run(["attach", "0", "-o", Integration.Repo.TempDir()]), "no process with pid 0");
    }

    [Fact]
    public void ProcessThatIsNotPython()
    {
        using var sleep = Start("sleep", "60");
        try
        {
            CliRunner.AssertOneLineError(CliRunner.Run(["attach", sleep.Id.ToString(), "-o", Integration.Repo.TempDir()]),
                $"process {sleep.Id} (sleep) is not running CPython");
        }
        finally { sleep.Kill(); }
    }

    [Fact]
    public void WithoutPermission()
    {
        if (!File.Exists("/usr/bin/setpriv")) throw new InvalidOperationException("setpriv (util-linux) is needed to run giltracer as another user");
        using var python = Start(Integration.Repo.Pyenv("3.11.7"), "-c", "import time; print('ready', flush=True); time.sleep(60)");
        try
        {
            Assert.Equal("ready", python.StandardOutput.ReadLine());
            // giltracer as user nobody, attaching to root's Python.
            var dir = Integration.Repo.TempDir();
            var r = CliRunner.Run(["attach", python.Id.ToString(), "-o", dir],
                new Dictionary<string, string> { ["HOME"] = "/tmp", ["DOTNET_CLI_HOME"] = "/tmp" }, setprivAsNobody: true);
            CliRunner.AssertOneLineError(r, "root");
        }
        finally { python.Kill(); }
    }

    [Theory]
    [InlineData("libpython3.13t.so.1.0", 3, 13, true)]
    [InlineData("python3.14t", 3, 14, true)]
    [InlineData("libpython3.13td.so", 3, 13, true)]
    [InlineData("libpython3.11.so.1.0", 3, 11, false)]
    [InlineData("libpython3.8d.so.1.0", 3, 8, false)]
    [InlineData("python3.12", 3, 12, false)]
    public void FreeThreadedBuildsAreKnownByTheirAbiFlag(string name, int major, int minor, bool freeThreaded)
    {
        var v = ProcessLocator.VersionFromName(name);
        Assert.Equal(new ProcessLocator.NameVersion(major, minor, freeThreaded), v);
    }

    [Theory]
    [InlineData("python3")]
    [InlineData("uwsgi")]
    [InlineData("libpythonX.so")]
    public void NamesWithoutAVersionSayNothing(string name) => Assert.Null(ProcessLocator.VersionFromName(name));
}
