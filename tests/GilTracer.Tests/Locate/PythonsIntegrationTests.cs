using System.Diagnostics;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using GilTracer.Core.Pipeline;
using Xunit.Abstractions;

namespace GilTracer.Tests.Locate;

/// <summary>
/// The two-thread contention example under every Python of this machine, with real perf and real uprobes:
/// each worker waits 35–65 % of its life, the three shares sum to 100, holds never overlap.
/// </summary>
[Collection("perf"), Trait("Category", "Integration")]
public class PythonsIntegrationTests(ITestOutputHelper output)
{
    /// <summary>~1 s of contention: two pure-Python threads counting (examples/two_threads.py).</summary>
    internal const string Workload = "import sys; sys.path.insert(0, sys.argv[1]); import two_threads; two_threads.main(int(sys.argv[2]))";

    public static TheoryData<string, string> Pythons => new()
    {
        { "3.8.18", "symbols" }, { "3.9.18", "symbols" }, { "3.10.13", "symbols" },
        { "3.11.7", "symbols" }, { "3.12.1", "symbols" }, { "3.13.0", "symbols" },
    };

    [Theory]
    [MemberData(nameof(Pythons))]
    public void TwoThreadsUnderPyenv(string version, string method)
    {
        var run = TraceTwoThreads(PythonInstalls.PyenvPython(version));
        Assert.Equal(method, run.Python.Method);
        Assert.Equal(version, run.Python.Version);
        Assert.True(run.Python.SharedLibrary);
        CheckContention(run);
    }

    /// <summary>3.8.18 has take_gil and take_gil.constprop.0: both really fire, and no acquisition is missed.</summary>
    [Fact]
    public void BothTakeGilClonesOf38Fire()
    {
        var run = TraceTwoThreads(PythonInstalls.PyenvPython("3.8.18"), keep: true);
        var entries = run.Python.Sites.Where(s => s.Kind == ProbeSiteKind.TakeGilEntry).ToList();
        Assert.Equal(2, entries.Count);
        var counts = EventCounts(run.PerfData);
        output.WriteLine(string.Join(", ", counts.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.True(counts.GetValueOrDefault("take_gil") > 0, "take_gil never fired");
        Assert.True(counts.GetValueOrDefault("take_gil_2") > 0, "take_gil.constprop.0 never fired");
        // Every entry of either clone has its return: nothing missed between them.
        Assert.InRange(counts["take_gil"] + counts["take_gil_2"] - counts["take_gil_ret"] - counts["take_gil_ret_2"], 0, 2);
        CheckContention(run);
    }

    [Fact]
    public void TwoThreadsUnderAVenv()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"giltracer-venv-{Environment.ProcessId}");
        try
        {
            Exec(PythonInstalls.PyenvPython("3.12.1"), "-m", "venv", "--without-pip", dir);
            var run = TraceTwoThreads(Path.Combine(dir, "bin", "python"));
            Assert.Equal("3.12.1", run.Python.Version);
            Assert.Equal(PythonInstalls.PyenvLibrary("3.12.1"), run.Python.GilBinary);
            CheckContention(run);
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>`python3` on PATH is pyenv's shim (a bash script): the interpreter it really runs is traced.</summary>
    [Fact]
    public void PyenvShimResolvesToTheRealInterpreter()
    {
        const string shim = "/root/.pyenv/shims/python3";
        if (!File.Exists(shim)) { output.WriteLine("skipped: no pyenv shims here"); return; }
        var target = PythonLocator.Locate(shim);
        output.WriteLine($"{shim} → {target.Executable} ({target.Version}), GIL code in {target.GilBinary}");
        Assert.StartsWith(PythonInstalls.PyenvRoot, target.Executable);
        Assert.StartsWith(PythonInstalls.PyenvRoot, target.GilBinary);
        Assert.Equal("symbols", target.Method);
    }

    /// <summary>Debian's static, stripped 3.11.2: heuristic probes; numbers agree with pyenv 3.11.7 within 10 points.</summary>
    [Fact]
    public void DebianStrippedAgreesWithPyenv311()
    {
        if (!File.Exists(PythonInstalls.DebianPython)) { output.WriteLine("skipped: no /usr/bin/python3.11"); return; }
        var stripped = TraceTwoThreads(PythonInstalls.DebianPython);
        Assert.Equal("heuristic", stripped.Python.Method);
        Assert.False(stripped.Python.SharedLibrary);
        Assert.True(stripped.Python.Stripped);
        var pyenv = TraceTwoThreads(PythonInstalls.PyenvPython("3.11.7"));
        CheckContention(pyenv);
        CheckContention(stripped);
        // Release ends and forced-switch probes count the handover as the symbols' drop_gil return does: no phantom no-GIL.
        Assert.All(Workers(stripped.Report), w => Assert.InRange(w.NoGilPct, 0, 2));
        double Wait(TracedRun r) => Workers(r.Report).Average(t => t.GilWaitPct);
        double Has(TracedRun r) => Workers(r.Report).Average(t => t.HasGilPct);
        output.WriteLine($"workers' mean wait: stripped {Wait(stripped):F1} %, pyenv {Wait(pyenv):F1} %; has GIL {Has(stripped):F1} % vs {Has(pyenv):F1} %");
        Assert.InRange(Wait(stripped) - Wait(pyenv), -10, 10);
        Assert.InRange(Has(stripped) - Has(pyenv), -10, 10);
    }

    /// <summary>The same stripped Debian build, with its debug file (python3.11-dbg, fetched into a folder): traced by debug info.</summary>
    [Fact]
    public void DebianWithItsDebugFileIsTracedByDebugInfo()
    {
        if (DebianDbgPython.Root is null) { output.WriteLine($"skipped: {DebianDbgPython.Reason}"); return; }
        var run = TraceTwoThreads(DebianDbgPython.Python, locate: new LocateOptions(DebugDirectories: [DebianDbgPython.DebugDir]));
        Assert.Equal("debuginfo", run.Python.Method);
        Assert.Equal(5, run.Python.Sites.Count(s => s.Kind == ProbeSiteKind.ReleaseStart)); // drop_gil inlined 5 times
        CheckContention(run);
    }

    /// <summary>Expert overrides: offsets given by hand (here: the ones the symbols give) trace the same.</summary>
    [Fact]
    public void OffsetOverridesTraceLikeSymbols()
    {
        var lib = PythonInstalls.PyenvLibrary("3.11.7");
        var take = ElfSymbolLocator.FindFunctionAndClones(lib, "take_gil").Single();
        var drop = ElfSymbolLocator.FindFunctionAndClones(lib, "drop_gil").Single();
        var run = TraceTwoThreads(PythonInstalls.PyenvPython("3.11.7"), locate: new LocateOptions(take.FileOffset, drop.FileOffset));
        Assert.Equal("override", run.Python.Method);
        CheckContention(run);
    }

    internal sealed record TracedRun(RunResult Result, string PerfData, List<TestSupport.TraceSpan> Spans)
    {
        public PythonTarget Python => Result.Python;
        public GilReport Report => Result.Report;
    }

    internal TracedRun TraceTwoThreads(string python, bool keep = false, LocateOptions? locate = null, int n = 6_000_000)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"giltracer-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var examples = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../examples"));
        var options = new RunOptions(new RunTarget(TargetKind.Code, Workload, [examples, n.ToString()]),
            new OutputOptions(dir, Html: false), python, Locate: locate);
        var sw = Stopwatch.StartNew();
        var result = RunPipeline.Run(options);
        output.WriteLine($"{python}: Python {result.Python.Version}, {result.Python.Method}, {result.Python.GilBinary} ({sw.ElapsedMilliseconds} ms)");
        foreach (var t in result.Report.Threads)
            output.WriteLine($"  {t.Tid}{(t.IsMain ? "*" : " ")} {t.Name,-12} {t.TotalNs / 1e6,8:F1} ms  no GIL {t.NoGilPct,5:F1} %  has GIL {t.HasGilPct,5:F1} %  wait {t.GilWaitPct,5:F1} %  acq {t.Acquisitions}");
        foreach (var g in result.Report.Gils)
            output.WriteLine($"  GIL {g.Pid}: held {g.HeldPct:F1} %, {g.Acquisitions} acquisitions, {g.Switches} switches, overlaps {g.OverlapViolations}");
        Assert.Equal(0, result.ExitCode);
        var spans = TestSupport.ReadTraceSpans(Path.Combine(dir, "trace.json"));
        if (!keep) Directory.Delete(dir, true);
        return new TracedRun(result, Path.Combine(dir, "perf.data"), spans);
    }

    internal static IEnumerable<ThreadSummary> Workers(GilReport r) => r.Threads.Where(t => t.Name.StartsWith("worker-", StringComparison.Ordinal));

    internal static void CheckContention(TracedRun run)
    {
        var report = run.Report;
        foreach (var t in report.Threads)
            Assert.InRange(t.NoGilPct + t.HasGilPct + t.GilWaitPct, 99.9, 100.1);
        TestSupport.AssertWorkersWaitHalfWhileBothLive(Workers(report).ToList(), run.Spans);
        Assert.All(report.Gils, g => Assert.Equal(0, g.OverlapViolations));
        Assert.Equal(0, report.LostEvents);
    }

    /// <summary>How often each probe fired, by event name without group (from `perf script -F event`).</summary>
    internal static Dictionary<string, int> EventCounts(string perfData)
    {
        var text = Exec("perf", "script", "-i", perfData, "-F", "event");
        var counts = new Dictionary<string, int>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim().TrimEnd(':');
            int colon = line.LastIndexOf(':');
            if (colon < 0) continue;
            var name = line[(colon + 1)..];
            counts[name] = counts.GetValueOrDefault(name) + 1;
        }
        Directory.Delete(Path.GetDirectoryName(perfData)!, true);
        return counts;
    }

    internal static string Exec(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {p.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }
}
