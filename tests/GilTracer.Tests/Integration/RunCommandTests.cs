using System.Diagnostics;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using GilTracer.Core.Pipeline;
using GilTracer.Core.Probe;
using GilTracer.Tests.Locate;
using Xunit.Abstractions;

namespace GilTracer.Tests.Integration;

/// <summary>
/// `run -- COMMAND` with real perf: every Python of the command's tree traced from its start, one GIL per process,
/// whether it was resolved before the run (chroot, unshare, a static Python named by the command) or found only when
/// it exec'd (a shell script starting two Pythons, one copied to a path chosen at run time). The sid root is our own
/// test cache: its scripts are written under ROOT/tmp (a user's root is never written to).
/// </summary>
[Collection("perf"), Trait("Category", "Integration")]
public class RunCommandTests(ITestOutputHelper output)
{
    const string Debian311 = "/usr/bin/python3.11";

    internal sealed record Traced(RunResult Result, string Dir)
    {
        public GilReport Report => Result.Report;
        public List<TestSupport.TraceSpan> Spans => TestSupport.ReadTraceSpans(Path.Combine(Dir, "trace.json"));
    }

    Traced Run(IReadOnlyList<string> command, LocateOptions? locate = null, bool state = false, bool functions = false)
    {
        var dir = Repo.TempDir();
        var watch = Stopwatch.StartNew();
        var result = RunPipeline.Run(new RunOptions(new RunTarget(TargetKind.Command, command[0], command.Skip(1).ToList()),
            new OutputOptions(dir, Html: false), Functions: functions, EnableSched: state,
            Locate: locate ?? new LocateOptions(Debuginfod: DebuginfodOptions.Off)));
        Assert.DoesNotContain(UprobeGroup.ListDefined(), g => g.OwnerPid == Environment.ProcessId);
        var r = result.Report;
        output.WriteLine($"$ giltracer run -- {string.Join(' ', command)}   ({watch.Elapsed.TotalSeconds:F1} s, exit {result.ExitCode})");
        foreach (var p in result.Pythons) output.WriteLine($"  {p.Executable}: {p.Method}, GIL code in {p.GilBinary}");
        foreach (var t in r.Threads)
            output.WriteLine($"  {t.Pid} {t.Tid}{(t.IsMain ? "*" : " ")} {t.Name,-12} {t.TotalNs / 1e6,7:F0} ms  no GIL {t.NoGilPct,5:F1} %  has {t.HasGilPct,5:F1} %  wait {t.GilWaitPct,5:F1} %  acq {t.Acquisitions}");
        foreach (var w in r.Warnings) output.WriteLine($"  warning: {w}");
        TestSupport.AssertInvariants(r);
        Assert.All(r.Gils, g => Assert.Equal(0, g.OverlapViolations));
        Assert.Equal(0, r.LostEvents);
        return new Traced(result, dir);
    }

    /// <summary>A file the sid root's Pythons can read: the root is our test cache, its /tmp ours to write.</summary>
    static string InSidRoot(string example)
    {
        var inRoot = $"/tmp/giltracer-{Guid.NewGuid():N}-{example}";
        File.Copy(Repo.Example(example), SidChroot.Root + inRoot);
        return inRoot;
    }

    static string[] Into(bool pidNamespace) => pidNamespace ? ["unshare", "--pid", "--fork", "chroot", SidChroot.Root] : ["chroot", SidChroot.Root];

    static IEnumerable<ThreadSummary> Workers(GilReport r, int? pid = null) => r.Threads.Where(t => !t.IsMain && (pid is null || t.Pid == pid));

    static long MainAcquisitions(GilReport r, int? pid = null) => r.Threads.Single(t => t.IsMain && (pid is null || t.Pid == pid)).Acquisitions;

    static readonly Dictionary<string, long> Baselines = new();

    /// <summary>The main thread's acquisitions in `python -c pass` run -- traced from its first instruction, once per
    /// interpreter (the cases of one version share it).</summary>
    long Baseline(IReadOnlyList<string> python, LocateOptions? locate = null)
    {
        var key = python[^1];
        if (!Baselines.TryGetValue(key, out var n)) Baselines[key] = n = MainAcquisitions(Run([.. python, "-c", "pass"], locate).Report);
        return n;
    }

    static void AssertTwoWorkers(Traced run, int? pid = null, bool noPhantomNoGil = true)
    {
        var workers = Workers(run.Report, pid).ToList();
        TestSupport.AssertWorkersWaitHalfWhileBothLive(workers, run.Spans);
        if (noPhantomNoGil) Assert.All(workers, w => Assert.InRange(w.NoGilPct, 0, 2));
    }

    public static TheoryData<string, bool> SidCases => new()
    {
        { "3.13", false }, { "3.14", false }, { "3.15", false },
        { "3.13", true }, { "3.14", true }, { "3.15", true },
    };

    /// <summary>
    /// sid's static, stripped Pythons, resolved before the run through `chroot ROOT` and `unshare --pid --fork chroot ROOT`,
    /// with their -dbg debug files (exact, as the attach tests; the heuristic on these builds is proven against them by
    /// GilCodeScannerTests and traced through run -- by the convoy test): two workers, the main thread's acquisitions at
    /// least those of `python -c pass` (traced from its first one), host pids, names from comm.
    /// </summary>
    [Theory, MemberData(nameof(SidCases))]
    public void SidPythonsInTheirRootAreTracedFromTheStart(string version, bool pidNamespace)
    {
        Assert.Contains(version, SidChroot.Versions);
        var locate = new LocateOptions(DebugDirectories: SidChroot.DebugDirs, Debuginfod: DebuginfodOptions.Off);
        var script = InSidRoot("two_threads.py");
        try
        {
            var baseline = Baseline([.. Into(pidNamespace), $"python{version}"], locate);
            var run = Run([.. Into(pidNamespace), $"python{version}", script], locate);
            var r = run.Report;
            var python = Assert.Single(run.Result.Pythons);
            Assert.Equal("debuginfo", python.Method);
            Assert.Equal(MappedFileResolver.Identify(SidChroot.Python(version)), MappedFileResolver.Identify(python.GilBinary));
            Assert.Equal(["perf.data"], Directory.GetFiles(run.Dir, "perf*.data").Select(Path.GetFileName)); // resolved before the run: no hold
            var gil = Assert.Single(r.Gils);
            Assert.All(r.Threads, t => Assert.Equal(gil.Pid, t.Pid));
            Assert.True(gil.Pid > 1); // the host's pid, also in a PID namespace
            AssertTwoWorkers(run);
            Assert.True(MainAcquisitions(r) >= baseline, $"main thread: {MainAcquisitions(r)} acquisitions, python -c pass {baseline}");
            bool named = string.CompareOrdinal(version, "3.14") >= 0; // 3.14+ gives OS threads their threading names
            Assert.Equal(named ? ["worker-1", "worker-2"] : [$"python{version}", $"python{version}"], Workers(r).Select(w => w.Name).Order());
            Assert.Equal(named ? 0 : 1, r.Warnings.Count(w => w.Contains("told apart by tid")));
        }
        finally { File.Delete(SidChroot.Root + script); }
    }

    /// <summary>3.15's convoy: hashers that drop the GIL for each hash wait most of their lives to take it back (as on
    /// pyenv's Pythons: how much depends on how fast the CPU hashes, 30-94 % seen). Started by a shell
    /// inside the root, the Python is found only when it execs there (its binary opened through the process's view).</summary>
    [Fact]
    public void ConvoyHashersWaitOn315()
    {
        var script = InSidRoot("convoy.py");
        try
        {
            var run = Run(["chroot", SidChroot.Root, "sh", "-c", $"python3.15 {script}"]);
            var r = run.Report;
            Assert.Equal(MappedFileResolver.Identify(SidChroot.Python("3.15")), MappedFileResolver.Identify(Assert.Single(run.Result.Pythons).GilBinary));
            var hashers = r.Threads.Where(t => t.Name.StartsWith("hasher-", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, hashers.Count);
            Assert.All(hashers, h => Assert.True(h.GilWaitPct > 20, $"{h.Name} waited only {h.GilWaitPct:F1} %"));
            var python = Assert.Single(r.Threads, t => t.Name == "python");
            Assert.True(python.HasGilPct > 60, $"the pure-Python thread held the GIL only {python.HasGilPct:F1} %");
        }
        finally { File.Delete(SidChroot.Root + script); }
    }

    /// <summary>Debian's stripped /usr/bin/python3.11 named by the command (heuristic): the bootstrap's names through the
    /// site hook, no phantom no-GIL, also while two other processes keep both cores busy.</summary>
    [Theory, InlineData(false), InlineData(true)]
    public void DebianStripped311(bool busy)
    {
        var hogs = busy ? Enumerable.Range(0, 2).Select(_ => Process.Start("sh", ["-c", "while :; do :; done"])).ToList() : [];
        try
        {
            var baseline = Baseline([Debian311]);
            var run = Run([Debian311, Repo.Example("two_threads.py")]);
            Assert.Equal("heuristic", Assert.Single(run.Result.Pythons).Method);
            AssertTwoWorkers(run);
            Assert.Equal(["worker-1", "worker-2"], Workers(run.Report).Select(w => w.Name).Order());
            Assert.Single(run.Report.Threads, t => t.IsMain && t.Name == "MainThread");
            Assert.True(MainAcquisitions(run.Report) >= baseline, $"main thread: {MainAcquisitions(run.Report)} acquisitions, python -c pass {baseline}");
        }
        finally
        {
            foreach (var h in hogs) { h.Kill(); h.WaitForExit(); h.Dispose(); }
        }
    }

    /// <summary>
    /// A shell script starting two different Pythons, neither known before the run: pyenv's 3.12 (shared: held through
    /// its loader until its libpython is mapped) and a copy of Debian's 3.11 at a path the script picks at run time.
    /// Both traced from their start, one GIL each, each found at its exec and recorded by a perf of its own.
    /// </summary>
    [Fact]
    public void ALauncherScriptStartsTwoDifferentPythons()
    {
        var dir = Repo.TempDir();
        var launcher = Path.Combine(dir, "launcher.sh");
        File.WriteAllText(launcher, $"""
            set -e
            {Repo.Pyenv("3.12.1")} "$@"
            copy=$(mktemp -d /tmp/giltracer-copy-XXXXXX)
            cp {Debian311} "$copy/py"
            "$copy/py" "$@"
            rm -rf "$copy"
            """);
        try
        {
            long baseline312 = Baseline([Repo.Pyenv("3.12.1")]), baseline311 = Baseline([Debian311]);
            var run = Run(["sh", launcher, Repo.Example("two_threads.py")]);
            var r = run.Report;
            Assert.Equal(2, r.Gils.Count);
            Assert.Equal(2, r.Threads.Select(t => t.Pid).Distinct().Count());
            Assert.Equal(2, Directory.GetFiles(run.Dir, "perf*.data").Length); // both found at their exec: two holds
            var pythons = run.Result.Pythons;
            Assert.Equal(2, pythons.Count);
            Assert.Contains(pythons, p => p.SharedLibrary && p.GilBinary.EndsWith("libpython3.12.so.1.0", StringComparison.Ordinal));
            var copy = Assert.Single(pythons, p => !p.SharedLibrary);
            Assert.StartsWith("/tmp/giltracer-copy-", copy.GilBinary);
            int pid312 = r.Threads.First(t => t.IsMain && t.StartNs == r.Threads.Where(m => m.IsMain).Min(m => m.StartNs)).Pid;
            int pid311 = r.Threads.First(t => t.Pid != pid312).Pid;
            foreach (var (pid, baseline) in new[] { (pid312, baseline312), (pid311, baseline311) })
            {
                AssertTwoWorkers(run, pid, noPhantomNoGil: false); // DebianStripped311 judges the heuristic's no GIL
                Assert.Equal(["worker-1", "worker-2"], Workers(r, pid).Select(w => w.Name).Order());
                Assert.True(MainAcquisitions(r, pid) >= baseline, $"process {pid}: {MainAcquisitions(r, pid)} acquisitions, python -c pass {baseline}");
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>--state: the sched recording kept to the Python processes of the command (the shell before them is not
    /// the program), with thread states for each.</summary>
    [Fact]
    public void StateUnderRunCommand()
    {
        var run = Run(["sh", "-c", $"true; {Debian311} {Repo.Example("two_threads.py")}"], state: true);
        var r = run.Report;
        var python = Assert.Single(r.Gils).Pid;
        Assert.All(r.Threads, t => Assert.Equal(python, t.Pid));
        Assert.All(r.Threads, t => Assert.NotNull(t.States));
        Assert.All(Workers(r), w => Assert.True(w.States!.SleepingGilPct > 5, $"{w.Name}: S(GIL) {w.States!.SleepingGilPct:F1} %"));
    }

    /// <summary>--functions: loaded into a host Python through the site hook; a command that runs Python in another
    /// root gets one warning (nothing is written there) and the GIL report.</summary>
    [Fact]
    public void FunctionsWhereTheTracerCanBeLoaded()
    {
        var host = Run([Debian311, Repo.Example("two_threads.py")], functions: true).Report;
        Assert.NotNull(host.FunctionTracing);
        Assert.Contains(host.Blame, b => b.Function.StartsWith("count", StringComparison.Ordinal));
        var rooted = Run(["chroot", SidChroot.Root, "python3.15", "-c", "pass"], functions: true).Report;
        Assert.Single(rooted.Warnings, w => w.StartsWith("--functions:", StringComparison.Ordinal));
        Assert.Null(rooted.FunctionTracing);
        Assert.Single(rooted.Gils);
    }

    /// <summary>The CLI end to end: the command's exit code is giltracer's, its Python traced.</summary>
    [Fact]
    public void CliPassesTheCommandsExitCode()
    {
        var dir = Repo.TempDir();
        var r = Cli.CliRunner.Run(["run", "-o", dir, "--", "sh", "-c", $"{Debian311} -c 'import sys; sys.exit(3)'"]);
        output.WriteLine(r.Stdout + r.Stderr);
        Assert.Equal(3, r.ExitCode);
        Assert.True(File.Exists(Path.Combine(dir, "summary.json")));
        Assert.Contains("Python 3.11", r.Stdout);
    }

    /// <summary>
    /// What following the tree costs: a shell loop starting 200 /bin/true (4 ptrace stops each: the fork in the parent,
    /// the child's first stop, its exec, the SIGCHLD its exit sends the shell; a Python at the end so that there is
    /// something to trace), timed
    /// inside the command with and without giltracer. It must run through; the time is reported, not judged (this
    /// machine is shared: docs/pythons.md has the measurement).
    /// </summary>
    [Fact]
    public void ForkHeavyCommandCost()
    {
        var dir = Repo.TempDir();
        var loop = Path.Combine(dir, "loop.sh");
        File.WriteAllText(loop, $"s=$(date +%s%N); i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done; e=$(date +%s%N); echo $(( (e-s)/1000 )) > \"$1\"\n{Debian311} -c pass\n");
        long Micros(string file) => long.Parse(File.ReadAllText(file).Trim());
        var without = new List<long>();
        var with = new List<long>();
        for (int i = 0; i < 2; i++)
        {
            var f = Path.Combine(dir, $"plain{i}");
            using (var p = Process.Start("sh", [loop, f])) p.WaitForExit();
            without.Add(Micros(f));
            f = Path.Combine(dir, $"traced{i}");
            Assert.Equal(0, Run(["sh", loop, f]).Result.ExitCode);
            with.Add(Micros(f));
        }
        without.Sort();
        with.Sort();
        output.WriteLine($"200 fork+exec of /bin/true: without giltracer {string.Join(", ", without.Select(u => $"{u / 1000.0:F0}"))} ms, " +
                         $"under run -- {string.Join(", ", with.Select(u => $"{u / 1000.0:F0}"))} ms; cost {(with[0] - without[0]) / 200.0:F0} µs per fork+exec (fastest runs)");
        Directory.Delete(dir, true);
    }
}
