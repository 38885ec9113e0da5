using System.Text.Json;
using GilTracer.Core.Model;
using GilTracer.Tests.Cli;
using GilTracer.Tests.Integration;
using Xunit.Abstractions;

namespace GilTracer.Tests.Packaging;

/// <summary>
/// The wheel as users get it: built by packaging/build-wheel.sh, `pip install --no-index` into a fresh venv, then
/// run with no .NET on the machine and no GILTRACER_BIN, from outside the checkout; `pip uninstall` leaves the
/// venv as it was.
/// </summary>
[Collection("perf"), Trait("Category", "Integration")]
public class WheelInstallTests(ITestOutputHelper output)
{
    const long MaxWheelBytes = 30L << 20;

    static string Pyenv312()
    {
        var dirs = Directory.GetDirectories("/root/.pyenv/versions", "3.12.*").Order().ToList();
        Assert.True(dirs.Count > 0, "no pyenv 3.12 under /root/.pyenv/versions");
        return Path.Combine(dirs[^1], "bin", "python3.12");
    }

    [Fact]
    public void TheWheelIsNamedForItsGlibcAndSmall()
    {
        var wheel = WheelSandbox.Wheel;
        var size = new FileInfo(wheel).Length;
        output.WriteLine($"{Path.GetFileName(wheel)}: {size / 1e6:F1} MB, built in {WheelSandbox.BuildTime.TotalSeconds:F0} s");
        Assert.Matches($@"^giltracer-{Regex(VersionCliTests.ProjectVersion())}-py3-none-manylinux_2_\d+_x86_64\.whl$", Path.GetFileName(wheel));
        Assert.InRange(size, 1, MaxWheelBytes);
    }

    static string Regex(string s) => System.Text.RegularExpressions.Regex.Escape(s);

    [Fact]
    public void InstalledInAVenvItTracesTheVenvsPythonWithoutDotnet()
    {
        var venv = WheelSandbox.Venv(Pyenv312());
        var before = WheelSandbox.Listing(venv);
        WheelSandbox.PipInstall(venv);
        var giltracer = Path.Combine(venv, "bin", "giltracer");
        // the Native AOT binary itself is the command: no Python launcher in between
        Assert.Null(new FileInfo(giltracer).LinkTarget);
        Assert.Equal("\u007fELF"u8.ToArray(), File.ReadAllBytes(giltracer)[..4]);
        var package = Directory.GetDirectories(Path.Combine(venv, "lib"), "python3.12")
            .Select(d => Path.Combine(d, "site-packages", "giltracer")).Single();
        Assert.True(File.Exists(Path.Combine(package, "giltracer_ipython.py")));

        var work = Repo.TempDir(); // outside the checkout
        File.Copy(Repo.Example("two_threads.py"), Path.Combine(work, "two_threads.py"));

        var version = WheelSandbox.RunWithoutDotnet(giltracer, ["--version"], work);
        Assert.True(version.ExitCode == 0, version.ToString());
        Assert.Equal(VersionCliTests.ProjectVersion(), version.Stdout.Trim());

        // PATH's python3 is pyenv's 3.11 here: the venv's own Python must be the one traced
        var run = WheelSandbox.RunWithoutDotnet(giltracer, ["run", "-o", "out", "two_threads.py"], work, new Dictionary<string, string> { ["COLUMNS"] = "200" });
        output.WriteLine(run.ToString());
        Assert.Equal(0, run.ExitCode);
        var dir = Path.Combine(work, "out");
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json"))))
        {
            var workers = summary.RootElement.GetProperty("threads").EnumerateArray()
                .Where(t => t.GetProperty("name").GetString()!.StartsWith("worker-")).Select(Thread).ToList();
            TestSupport.AssertWorkersWaitHalfWhileBothLive(workers, TestSupport.ReadTraceSpans(Path.Combine(dir, "trace.json")));
            Assert.Equal(VersionCliTests.ProjectVersion(), summary.RootElement.GetProperty("giltracer_version").GetString());
            var python = summary.RootElement.GetProperty("python");
            Assert.Equal(Path.Combine(venv, "bin", "python3"), python.GetProperty("executable").GetString());
            Assert.StartsWith("3.12.", python.GetProperty("version").GetString());
        }
        Assert.Contains($"Python 3.12.", run.Stdout.Split('\n')[0]); // the table's header line names the interpreter
        Assert.Contains(Path.Combine(venv, "bin", "python3"), run.Stdout.Split('\n')[0]);

        // `python -m giltracer` exec's the binary: its exit code is the program's. The traced program ran the
        // bootstrap and site hook the binary embeds, written into OUT/.giltracer (the package has no copy of them).
        const string Code = "import sys; print('prefix', sys.prefix); print('boot', sys.orig_argv[1]); " +
                            "print('site', sys.modules['sitecustomize'].__file__); sys.exit(3)";
        var viaModule = WheelSandbox.RunWithoutDotnet(Path.Combine(venv, "bin", "python"), ["-m", "giltracer", "run", "-q", "-o", "out2", "-c", Code], work);
        output.WriteLine(viaModule.ToString());
        Assert.Equal(3, viaModule.ExitCode);
        var printed = viaModule.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        Assert.Equal(venv, printed["prefix"]);
        Assert.Equal(Path.Combine(work, "out2", ".giltracer", "giltracer_boot.py"), printed["boot"]);
        Assert.Equal(Path.Combine(work, "out2", ".giltracer", "site", "sitecustomize.py"), printed["site"]);
        Assert.False(File.Exists(Path.Combine(package, "giltracer_boot.py")));

        var help = WheelSandbox.RunWithoutDotnet(Path.Combine(venv, "bin", "python"), ["-m", "giltracer", "--help"], work);
        Assert.True(help.ExitCode == 0, help.ToString());
        Assert.Contains("Usage:", help.Stdout);
        Assert.Contains("run <script-and-args>", help.Stdout);

        WheelSandbox.PipUninstall(venv);
        Assert.Equal(before, WheelSandbox.Listing(venv));
    }

    /// <summary>
    /// pipx makes a venv of its own for giltracer (with a python3 in its bin/, and pipx_metadata.json in its root):
    /// that Python is not the user's, so run traces python3 on PATH.
    /// </summary>
    [Fact]
    public void FromPipxsOwnVenvItTracesPython3OnPath()
    {
        var home = Repo.TempDir();
        // PIP_NO_INDEX: pipx's own pip upgrade of its shared libraries fails at once instead of retrying the network
        var env = new Dictionary<string, string>
        { ["PIPX_HOME"] = Path.Combine(home, "pipx"), ["PIPX_BIN_DIR"] = Path.Combine(home, "bin"), ["PIP_NO_INDEX"] = "1" };
        var install = WheelSandbox.Run("pipx", ["install", "--pip-args=--no-index", WheelSandbox.Wheel], env: env);
        Assert.True(install.ExitCode == 0, $"pipx install failed: {install}");
        var venv = Path.Combine(home, "pipx", "venvs", "giltracer");
        Assert.True(File.Exists(Path.Combine(venv, "bin", "python3")));
        Assert.True(File.Exists(Path.Combine(venv, "pipx_metadata.json")));

        var work = Repo.TempDir();
        var run = WheelSandbox.RunWithoutDotnet(Path.Combine(home, "bin", "giltracer"), ["run", "-q", "-o", "out", "-c", "import sys; print(sys.prefix)"], work, env);
        Assert.True(run.ExitCode == 0, run.ToString());
        var onPath = WheelSandbox.Run(Core.Host.HostFacts.FindOnPath("python3")!, ["-c", "import sys; print(sys.prefix)"]);
        Assert.Equal(onPath.Stdout.Trim(), run.Stdout.Trim());
        Assert.NotEqual(venv, run.Stdout.Trim());

        var uninstall = WheelSandbox.Run("pipx", ["uninstall", "giltracer"], env: env);
        Assert.True(uninstall.ExitCode == 0, $"pipx uninstall failed: {uninstall}");
        Assert.False(Directory.Exists(venv));
        Assert.False(File.Exists(Path.Combine(home, "bin", "giltracer")));
    }

    /// <summary>A thread of summary.json, as the contention check reads it.</summary>
    static ThreadSummary Thread(JsonElement t)
    {
        long start = t.GetProperty("start_ns").GetInt64();
        return new ThreadSummary
        {
            Pid = t.GetProperty("pid").GetInt32(), Tid = t.GetProperty("tid").GetInt32(), Name = t.GetProperty("name").GetString()!,
            IsMain = t.GetProperty("is_main").GetBoolean(), StartNs = start, EndNs = start + t.GetProperty("total_ns").GetInt64(),
            HoldNs = t.GetProperty("hold_ns").GetInt64(), WaitNs = t.GetProperty("wait_ns").GetInt64(),
            Acquisitions = t.GetProperty("acquisitions").GetInt64(),
        };
    }

    const string Cell =
        "import threading\n" +
        "def spin(n):\n" +
        "    t = 0\n" +
        "    for i in range(n): t += i\n" +
        "ts = [threading.Thread(target=spin, args=(2_000_000,), name=f'cell-worker-{i}') for i in range(2)]\n" +
        "for t in ts: t.start()\n" +
        "for t in ts: t.join()\n" +
        "print('cell done')\n";

    /// <summary>
    /// `%load_ext giltracer` with no path set-up, in a venv of Debian's Python that sees Debian's IPython: the
    /// extension runs the venv's giltracer, not one on PATH (a decoy there would leave a mark).
    /// </summary>
    [Fact]
    public void TheIPythonExtensionRunsTheVenvsBinary()
    {
        var venv = WheelSandbox.Venv(PythonInstalls.DebianPython, systemSitePackages: true);
        var python = Path.Combine(venv, "bin", "python");
        var ipython = WheelSandbox.Run(python, ["-c", "import IPython"]);
        Assert.True(ipython.ExitCode == 0, $"Debian's IPython is missing (apt-get install python3-ipython; .ci/run does): {ipython}");
        var before = WheelSandbox.Listing(venv);
        WheelSandbox.PipInstall(venv);

        var work = Repo.TempDir();
        var decoys = Path.Combine(work, "decoys");
        var mark = Path.Combine(work, "decoy-ran");
        Directory.CreateDirectory(decoys);
        File.WriteAllText(Path.Combine(decoys, "giltracer"), $"#!/bin/sh\ntouch '{mark}'\nexit 1\n");
        File.SetUnixFileMode(Path.Combine(decoys, "giltracer"), (UnixFileMode)0b111_101_101);

        var dir = Path.Combine(work, "cell");
        var code =
            "ip = get_ipython()\n" +
            "ip.run_line_magic('load_ext', 'giltracer')\n" +
            $"ip.run_cell_magic('giltracer', '-o ' + {JsonSerializer.Serialize(dir)}, {JsonSerializer.Serialize(Cell)})\n" +
            "import os; print('kernel pid', os.getpid())\n";
        var r = WheelSandbox.RunWithoutDotnet(python, ["-m", "IPython", "--no-banner", "--colors=NoColor", "-c", code], work,
            new Dictionary<string, string> { ["PATH"] = decoys + ":" + Environment.GetEnvironmentVariable("PATH") });
        output.WriteLine(r.ToString());
        Assert.Equal(0, r.ExitCode);
        Assert.False(File.Exists(mark), "the extension ran giltracer from PATH, not the venv's");

        var text = r.Stdout;
        Assert.Contains("cell done", text);
        var kernelPid = int.Parse(text[(text.LastIndexOf("kernel pid ", StringComparison.Ordinal) + 11)..].Trim());
        var lines = text.Split('\n');
        Assert.Contains(lines, l => l.Contains("thread") && l.Contains("GIL wait %")); // the table's header
        foreach (var name in new[] { "cell-worker-0", "cell-worker-1", "MainThread" })
            Assert.Contains(lines, l => l.Contains(name));
        Assert.Contains($"GIL of pid {kernelPid}", text);
        using (var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json"))))
        {
            var workers = summary.RootElement.GetProperty("threads").EnumerateArray()
                .Where(t => t.GetProperty("name").GetString()!.StartsWith("cell-worker-")).ToList();
            Assert.Equal(2, workers.Count);
            Assert.All(workers, w => Assert.Equal(kernelPid, w.GetProperty("pid").GetInt32()));
            Assert.Equal(VersionCliTests.ProjectVersion(), summary.RootElement.GetProperty("giltracer_version").GetString());
        }

        WheelSandbox.PipUninstall(venv);
        Assert.Equal(before, WheelSandbox.Listing(venv));
    }
}
