using System.Diagnostics;
using System.Text.Json;
using GilTracer.Core.Locate;
using GilTracer.Core.Pipeline;
using GilTracer.Core.Probe;
using GilTracer.Tests.Locate;
using Xunit.Abstractions;

namespace GilTracer.Tests.Integration;

/// <summary>
/// `attach` to Pythons whose root is not ours, with real perf: sid's static, stripped 3.13–3.15 under plain
/// `chroot` (its maps show host paths) and under `unshare --pid --fork chroot` (a PID namespace: the Python knows
/// its threads by the namespace's ids), symbols from their -dbg debug files.
/// </summary>
[Collection("perf"), Trait("Category", "Integration")]
public class ContainerAttachTests(ITestOutputHelper output)
{
    /// <summary>Two pure-Python workers until argv[1] seconds; prints [pid, native_id, name] of each thread as the
    /// Python sees them (the bootstrap's names file format), then "ready".</summary>
    const string Target = """
        import json, os, sys, threading, time
        stop = False
        def spin():
            x = 0
            while not stop:
                for i in range(1000): x += i
        ts = [threading.Thread(target=spin, name=f"worker-{i + 1}") for i in range(2)]
        for t in ts: t.start()
        for t in [threading.main_thread(), *ts]: print(json.dumps([os.getpid(), t.native_id, t.name]))
        print("ready", flush=True)
        time.sleep(float(sys.argv[1]))
        stop = True
        for t in ts: t.join()
        """;

    public static TheoryData<string, bool> Cases => new()
    {
        { "3.13", false }, { "3.14", false }, { "3.15", false },
        { "3.13", true }, { "3.14", true }, { "3.15", true },
    };

    /// <summary>A Python in the sid root, started with chroot (in a PID namespace of its own with
    /// <paramref name="pidNamespace"/>): the launcher, the Python's host pid, and what it printed before "ready".</summary>
    internal static (Process Launcher, int Pid, List<string> Threads) StartInRoot(string version, bool pidNamespace, double seconds, string? root = null)
    {
        Assert.Contains(version, SidChroot.Versions);
        var psi = new ProcessStartInfo(pidNamespace ? "unshare" : "chroot") { RedirectStandardOutput = true, UseShellExecute = false };
        var args = pidNamespace ? new List<string> { "--pid", "--fork", "--kill-child", "chroot" } : [];
        args.AddRange([root ?? SidChroot.Root, $"python{version}", "-c", Target, seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = Process.Start(psi)!;
        var lines = new List<string>();
        for (var line = p.StandardOutput.ReadLine(); line != "ready"; line = p.StandardOutput.ReadLine())
            lines.Add(line ?? throw new InvalidOperationException($"python{version} in the sid root ended before it was ready"));
        int pid = p.Id;
        if (pidNamespace) // unshare forked the namespace's first process, which exec'd chroot, then Python
            pid = int.Parse(File.ReadAllText($"/proc/{p.Id}/task/{p.Id}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries).Single());
        Assert.EndsWith($"/usr/bin/python{version}", File.ReadAllText($"/proc/{pid}/cmdline").Split('\0')[0] is var c && c.StartsWith('/') ? c : "/usr/bin/" + c);
        return (p, pid, lines);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AttachToTwoWorkersInTheSidRoot(string version, bool pidNamespace)
    {
        var (launcher, pid, threads) = StartInRoot(version, pidNamespace, 60);
        var dir = Repo.TempDir();
        try
        {
            // In a PID namespace the Python knows itself as pid 1 and its threads by small ids: the names file says so.
            var ids = threads.Select(l => JsonSerializer.Deserialize<JsonElement>(l)).ToList();
            Assert.Equal(pidNamespace, ids[0][0].GetInt32() != pid);
            string? namesFile = null;
            if (pidNamespace)
            {
                namesFile = Path.Combine(dir, "names.jsonl");
                File.WriteAllLines(namesFile, threads);
            }
            var watch = Stopwatch.StartNew();
            var result = AttachPipeline.Attach(new AttachOptions(pid, new OutputOptions(Path.Combine(dir, "out"), Html: false), 2.0, NamesFile: namesFile,
                Locate: new LocateOptions(DebugDirectories: [SidChroot.DebugDir(version)], Debuginfod: DebuginfodOptions.Off)));
            Assert.DoesNotContain(UprobeGroup.ListDefined(), g => g.OwnerPid == Environment.ProcessId);
            var target = result.Python;
            output.WriteLine($"python{version}{(pidNamespace ? " (PID namespace)" : "")} host pid {pid}: {target.Method}, {target.GilBinary}, {target.Sites.Count} sites, attach took {watch.Elapsed.TotalSeconds:F1} s");
            foreach (var n in target.Notes) output.WriteLine($"  note: {n}");
            var r = result.Report;
            foreach (var t in r.Threads)
                output.WriteLine($"  {t.Pid} {t.Tid}{(t.IsMain ? "*" : " ")} {t.Name,-12} {t.TotalNs / 1e6,7:F0} ms  no GIL {t.NoGilPct,5:F1} %  has {t.HasGilPct,5:F1} %  wait {t.GilWaitPct,5:F1} %  acq {t.Acquisitions}");

            Assert.Equal("debuginfo", target.Method);
            Assert.StartsWith(SidChroot.DebugDir(version), target.DebugFile);
            Assert.Equal(MappedFileResolver.Identify(SidChroot.Python(version)), MappedFileResolver.Identify(target.GilBinary));
            TestSupport.AssertInvariants(r);
            Assert.All(r.Gils, g => Assert.Equal(0, g.OverlapViolations));
            Assert.Single(r.Gils);
            var workers = r.Threads.Where(t => !t.IsMain).ToList();
            Assert.Equal(2, workers.Count);
            Assert.All(r.Threads, t => Assert.Equal(pid, t.Pid)); // host ids, as perf reports them
            // Names: the names file's namespace tids mapped to host tids (3.13's kernel names are all "python3.13");
            // without one, the kernel's (3.14+ names threads after their threading names).
            bool named = pidNamespace || string.CompareOrdinal(version, "3.14") >= 0;
            Assert.Equal(named ? ["worker-1", "worker-2"] : [$"python{version}", $"python{version}"], workers.Select(w => w.Name).Order());
            Assert.All(workers, w =>
            {
                Assert.InRange(w.GilWaitPct, 35, 65);
                Assert.InRange(w.NoGilPct, 0, 2);
            });
        }
        finally
        {
            launcher.Kill(true);
            launcher.WaitForExit();
            Directory.Delete(dir, true);
        }
    }

    /// <summary>The CLI on a chrooted Python with no debug file anywhere: it attaches (its maps name host paths, which
    /// once sent it to /proc/PID/root/&lt;host path&gt;) and reports both workers under the host pid. The numbers are the
    /// heuristic's, judged by the heuristic's own tests.</summary>
    [Fact]
    public void AttachCliToAChrootedPythonWithoutDebugFiles()
    {
        var (launcher, pid, _) = StartInRoot("3.15", pidNamespace: false, 60);
        var dir = Repo.TempDir();
        try
        {
            var r = Cli.CliRunner.Run(["attach", pid.ToString(), "--duration", "2", "-o", dir], new Dictionary<string, string> { ["DEBUGINFOD_URLS"] = "" });
            output.WriteLine(r.Stdout + r.Stderr);
            Assert.Equal(0, r.ExitCode);
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            var workers = summary.RootElement.GetProperty("threads").EnumerateArray().Where(t => !t.GetProperty("is_main").GetBoolean()).ToList();
            Assert.Equal(["worker-1", "worker-2"], workers.Select(w => w.GetProperty("name").GetString()).Order());
            Assert.All(workers, w => Assert.Equal(pid, w.GetProperty("pid").GetInt32()));
        }
        finally
        {
            launcher.Kill(true);
            launcher.WaitForExit();
            Directory.Delete(dir, true);
        }
    }

    /// <summary>A container as far as files go: a mount namespace of its own, where the Python runs from a tmpfs mounted
    /// only there. Its maps name a path that on the host is an empty folder; the binary is opened through the process's
    /// own view (/proc/PID/root or map_files), checked by device and inode. Debian's stripped 3.11: the heuristic.</summary>
    [Fact]
    public void AttachToAPythonInAMountNamespaceOfItsOwn()
    {
        var mount = Path.Combine(Path.GetTempPath(), $"giltracer-mntns-{Guid.NewGuid():N}");
        Directory.CreateDirectory(mount);
        var python = Path.Combine(mount, "python3.11");
        // the test mounts, in a namespace that dies with the process; giltracer itself never mounts
        var psi = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child", "sh", "-c",
                     $"mount -t tmpfs none {mount} && cp /usr/bin/python3.11 {python} && exec {python} -c \"$0\" 60", Target })
            psi.ArgumentList.Add(a);
        using var launcher = Process.Start(psi)!;
        var dir = Repo.TempDir();
        try
        {
            for (var line = launcher.StandardOutput.ReadLine(); line != "ready"; line = launcher.StandardOutput.ReadLine())
                Assert.NotNull(line);
            var pid = Descendant(launcher.Id, python);
            Assert.False(File.Exists(python), "the binary is seen only inside the mount namespace");
            var result = AttachPipeline.Attach(new AttachOptions(pid, new OutputOptions(Path.Combine(dir, "out"), Html: false), 2.0,
                Locate: new LocateOptions(Debuginfod: DebuginfodOptions.Off)));
            var target = result.Python;
            output.WriteLine($"{target.Method}, {target.GilBinary}, {target.Sites.Count} sites");
            foreach (var n in target.Notes) output.WriteLine($"  note: {n}");
            Assert.Equal("heuristic", target.Method);
            Assert.Contains(target.Notes, n => n.StartsWith($"{python} opened as /proc/{pid}/", StringComparison.Ordinal));
            var r = result.Report;
            foreach (var t in r.Threads) output.WriteLine($"  {t.Tid} {t.Name} wait {t.GilWaitPct:F1} % no GIL {t.NoGilPct:F1} %");
            TestSupport.AssertInvariants(r);
            Assert.Equal(0, Assert.Single(r.Gils).OverlapViolations);
            var workers = r.Threads.Where(t => !t.IsMain).ToList();
            Assert.Equal(2, workers.Count);
            Assert.All(workers, w => Assert.InRange(w.GilWaitPct, 35, 65));
            Assert.DoesNotContain(UprobeGroup.ListDefined(), g => g.OwnerPid == Environment.ProcessId);
        }
        finally
        {
            launcher.Kill(true);
            launcher.WaitForExit();
            Directory.Delete(dir, true);
            Directory.Delete(mount, true);
        }
    }

    /// <summary>The process below <paramref name="pid"/> whose executable path (as it sees it) is <paramref name="exe"/>.</summary>
    static int Descendant(int pid, string exe)
    {
        foreach (var child in File.ReadAllText($"/proc/{pid}/task/{pid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse))
        {
            if (File.ReadAllText($"/proc/{child}/cmdline").Split('\0')[0] == exe) return child;
            if (Descendant(child, exe) is > 0 and var found) return found;
        }
        return 0;
    }
}
