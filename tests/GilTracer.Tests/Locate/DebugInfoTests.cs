using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using Xunit.Abstractions;

namespace GilTracer.Tests.Locate;

/// <summary>
/// Stripped builds with their separate debug files (Debian 3.11, the sid root's Pythons): found by build-id, and the
/// symbol path probes exactly what the debug info says: entry and return of take_gil and of the outer drop_gil
/// (3.14+: not drop_gil_impl, the forced-switch wait is in drop_gil), plus every release and forced-switch wait
/// inlined elsewhere.
/// </summary>
public class DebugInfoTests(ITestOutputHelper output)
{
    [Fact]
    public void DebugFileIsFoundByBuildIdAndGivesTakeGilAndDropGil()
    {
        if (DebianDbgPython.Root is null) { output.WriteLine($"skipped: {DebianDbgPython.Reason}"); return; }
        var elf = ElfImage.Load(DebianDbgPython.Python);
        Assert.False(elf.HasSymtab);
        var debug = DebugInfoLocator.Find(elf, [DebianDbgPython.DebugDir]);
        output.WriteLine($"build-id {elf.BuildId} → {debug}");
        Assert.NotNull(debug);
        Assert.EndsWith($"{elf.BuildId![..2]}/{elf.BuildId[2..]}.debug", debug);
        // Nothing found where there is no debug file.
        Assert.Null(DebugInfoLocator.Find(elf, [Path.GetTempPath()]));

        var sites = AssertSymbolSitesMatch(elf, debug!, "3.11");
        Assert.Single(sites, s => s.Kind == ProbeSiteKind.TakeGilEntry && s.Description == "take_gil.lto_priv.0");
        Assert.Single(sites, s => s.Kind == ProbeSiteKind.DropGilEntry && s.Description == "drop_gil.lto_priv.0");
        // LTO inlined drop_gil in five more places: each gets release probes and a forced-switch pair of its own.
        Assert.Equal(5, sites.Count(s => s.Kind == ProbeSiteKind.ReleaseStart));
        Assert.Equal(5, sites.Count(s => s.Kind == ProbeSiteKind.HandoverWait));
    }

    [Theory]
    [MemberData(nameof(SidChroot.Theory), MemberType = typeof(SidChroot))]
    public void SidDebugFilesGiveTheOuterDropGilAndEveryInlinedCopy(string version)
    {
        var elf = ElfImage.Load(SidChroot.Python(version));
        var debug = DebugInfoLocator.Find(elf, [SidChroot.DebugDir(version)]);
        Assert.NotNull(debug);
        AssertSymbolSitesMatch(elf, debug!, version);
    }

    /// <summary>What the locator does with a forced method (`--gil-method`).</summary>
    [Fact]
    public void AForcedMethodIsObeyed()
    {
        var version = SidChroot.Versions[^1];
        var python = SidChroot.Python(version);
        var facts = new InterpreterFacts(python, version + ".0", false, []);
        Assert.Equal("debuginfo", PythonLocator.LocateIn(facts, python, false, new LocateOptions(DebugDirectories: [SidChroot.DebugDir(version)])).Method);
        var heuristic = PythonLocator.LocateIn(facts, python, false, new LocateOptions(DebugDirectories: [SidChroot.DebugDir(version)], Method: GilMethod.Heuristic));
        Assert.Equal("heuristic", heuristic.Method);
        var e = Assert.Throws<GilTracerException>(() => PythonLocator.LocateIn(facts, python, false, new LocateOptions(DebugDirectories: [Path.GetTempPath()], Method: GilMethod.Symbols)));
        Assert.Contains($"python{version}-dbg", e.Message);

        var lib = PythonInstalls.PyenvLibrary("3.12.1");
        var pyenv = new InterpreterFacts(PythonInstalls.PyenvPython("3.12.1"), "3.12.1", false, [lib]);
        var ignored = PythonLocator.LocateIn(pyenv, lib, true, new LocateOptions(Method: GilMethod.Heuristic));
        Assert.Equal("heuristic", ignored.Method);
        Assert.Contains("symbols ignored (--gil-method heuristic)", ignored.Notes);
        Assert.Contains(ignored.Sites, s => s.Kind == ProbeSiteKind.TakeGilAcquire);
        Assert.Equal("symbols", PythonLocator.LocateIn(pyenv, lib, true, new LocateOptions(Method: GilMethod.Symbols)).Method);
    }

    /// <summary>The symbol path's sites against the debug info: which functions get entry/return probes and which copies plain ones.</summary>
    List<ProbeSite> AssertSymbolSitesMatch(ElfImage elf, string debugFile, string version)
    {
        var symbols = ElfImage.Load(debugFile);
        var sites = PythonLocator.SitesFromSymbols(symbols, elf, version: version);
        foreach (var s in sites) output.WriteLine($"  {s.Kind,-15} 0x{s.FileOffset:x} {s.Description}");
        var truth = GilCodeTruth.Read(elf, debugFile);
        var drops = ElfSymbolLocator.FindFunctionAndClones(symbols, elf, "drop_gil");
        var takes = ElfSymbolLocator.FindFunctionAndClones(symbols, elf, "take_gil");
        Assert.Equal(takes.Select(t => t.FileOffset).Order(), sites.Where(s => s.Kind == ProbeSiteKind.TakeGilEntry).Select(s => s.FileOffset).Order());
        Assert.Equal(drops.Select(d => d.FileOffset).Order(), sites.Where(s => s.Kind == ProbeSiteKind.DropGilEntry).Select(s => s.FileOffset).Order());
        // Entry/return go on drop_gil proper: each clone that can hand over holds a forced-switch wait; drop_gil_impl is no drop_gil.
        Assert.All(drops, d => Assert.DoesNotContain("drop_gil_impl", d.Name));
        Assert.Contains(drops, d => truth.HandoverWaits.Any(w => w.Address >= d.Address && w.Address < d.Address + d.Size));
        bool InDrop(ulong a) => drops.Any(d => a >= d.Address && a < d.Address + d.Size);
        // Every release signalled outside drop_gil has its release probe just before it; every forced switch outside
        // it opens at drop_gil's lock of switch_mutex; their ends are every unlock of drop_gil and drop_gil_impl there.
        var releases = sites.Where(s => s.Kind is ProbeSiteKind.ReleaseSite or ProbeSiteKind.ReleaseStart).Select(s => s.FileOffset).Order().ToList();
        var signals = truth.ReleaseSignals.Where(s => !InDrop(s.Address)).Select(s => elf.FileOffset(s.Address)).Order().ToList();
        Assert.Equal(signals.Count, releases.Count);
        Assert.All(releases.Zip(signals), p => Assert.InRange(p.Second - p.First, 1UL, 64UL));
        var waits = truth.HandoverWaits.Where(w => !InDrop(w.Address)).ToList();
        var opens = sites.Where(s => s.Kind == ProbeSiteKind.HandoverWait).ToList();
        Assert.Equal(waits.Count, opens.Count);
        var switchLocks = truth.DropLocks.Where(l => !InDrop(l.Address) && !l.Inner.StartsWith("drop_gil_impl", StringComparison.Ordinal))
            .Select(l => elf.FileOffset(l.Address)).ToHashSet();
        Assert.All(opens, s => Assert.Contains(s.FileOffset, switchLocks));
        Assert.Equal(truth.DropUnlockReturns.Where(a => !InDrop(a)).Select(a => elf.FileOffset(a)).Order(),
            sites.Where(s => s.Kind is ProbeSiteKind.ReleaseEnd or ProbeSiteKind.HandoverWaitEnd).Select(s => s.FileOffset).Order());
        foreach (var w in waits) output.WriteLine($"  inlined forced-switch wait {w}");
        return sites;
    }
}
