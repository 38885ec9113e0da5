using GilTracer.Core.Locate;
using Xunit.Abstractions;

namespace GilTracer.Tests.Locate;

/// <summary>
/// The stripped path traces like the symbol path, with real perf: the same build traced both ways (pyenv's libpython
/// with its symbols ignored by --gil-method heuristic; Debian's 3.11 with and without its debug file) gives the same
/// per-thread split of examples/two_threads.py: workers' GIL wait within a few points, no GIL at most 2 %, no
/// overlapping holds. Without the release ends and forced-switch probes the stripped workers showed 13–30 % no GIL.
/// </summary>
[Collection("perf"), Trait("Category", "Integration")]
public class HeuristicSplitTests(ITestOutputHelper output)
{
    public static TheoryData<string> Pyenv => new() { "3.11.7", "3.12.1", "3.13.0" };

    [Theory]
    [MemberData(nameof(Pyenv))]
    public void PyenvWithItsSymbolsIgnoredSplitsLikeWithThem(string version)
    {
        var runs = new PythonsIntegrationTests(output);
        var symbols = runs.TraceTwoThreads(PythonInstalls.PyenvPython(version));
        var heuristic = runs.TraceTwoThreads(PythonInstalls.PyenvPython(version), locate: new LocateOptions(Method: GilMethod.Heuristic));
        Assert.Equal("symbols", symbols.Python.Method);
        Assert.Equal("heuristic", heuristic.Python.Method);
        AssertSameSplit(symbols, heuristic);
    }

    [Fact]
    public void Debian311WithAndWithoutItsDebugFileSplitsAlike()
    {
        if (DebianDbgPython.Root is null) { output.WriteLine($"skipped: {DebianDbgPython.Reason}"); return; }
        var runs = new PythonsIntegrationTests(output);
        var debug = runs.TraceTwoThreads(DebianDbgPython.Python, locate: new LocateOptions(DebugDirectories: [DebianDbgPython.DebugDir]));
        var stripped = runs.TraceTwoThreads(DebianDbgPython.Python, locate: new LocateOptions(DebugDirectories: [Path.GetTempPath()]));
        Assert.Equal("debuginfo", debug.Python.Method);
        Assert.Equal("heuristic", stripped.Python.Method);
        AssertSameSplit(debug, stripped);
    }

    void AssertSameSplit(PythonsIntegrationTests.TracedRun symbols, PythonsIntegrationTests.TracedRun heuristic)
    {
        double Wait(PythonsIntegrationTests.TracedRun r) => PythonsIntegrationTests.Workers(r.Report).Average(t => t.GilWaitPct);
        double NoGil(PythonsIntegrationTests.TracedRun r) => PythonsIntegrationTests.Workers(r.Report).Max(t => t.NoGilPct);
        output.WriteLine($"workers: {symbols.Python.Method} wait {Wait(symbols):F1} %, no GIL ≤ {NoGil(symbols):F2} %; " +
                         $"{heuristic.Python.Method} wait {Wait(heuristic):F1} %, no GIL ≤ {NoGil(heuristic):F2} %");
        foreach (var run in new[] { symbols, heuristic })
        {
            PythonsIntegrationTests.CheckContention(run);
            Assert.All(PythonsIntegrationTests.Workers(run.Report), w => Assert.InRange(w.NoGilPct, 0, 2));
        }
        Assert.InRange(Wait(heuristic) - Wait(symbols), -8, 8);
    }
}
