using GilTracer.Core.Locate;
using Xunit.Abstractions;

namespace GilTracer.Tests.Locate;

/// <summary>Debian's stripped python3.11 with its separate debug file: found by build-id, and the heuristic agrees with it.</summary>
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

        var notes = new List<string>();
        var sites = PythonLocator.SitesFromSymbols(ElfImage.Load(debug!), elf, notes);
        foreach (var s in sites) output.WriteLine($"  {s.Kind} 0x{s.FileOffset:x} {s.Description}");
        Assert.Single(sites, s => s.Kind == ProbeSiteKind.TakeGilEntry && s.Description == "take_gil.lto_priv.0");
        Assert.Single(sites, s => s.Kind == ProbeSiteKind.DropGilEntry && s.Description == "drop_gil.lto_priv.0");
        // LTO inlined drop_gil in five more places: each gets a probe of its own.
        Assert.Equal(5, sites.Count(s => s.Kind == ProbeSiteKind.ReleaseSite));
    }

    /// <summary>The heuristic, run on the stripped binary, finds what the debug file's symbols say.</summary>
    [Fact]
    public void HeuristicAgreesWithDebianDebugSymbols()
    {
        if (DebianDbgPython.Root is null) { output.WriteLine($"skipped: {DebianDbgPython.Reason}"); return; }
        var elf = ElfImage.Load(DebianDbgPython.Python);
        var symbols = ElfImage.Load(DebugInfoLocator.Find(elf, [DebianDbgPython.DebugDir])!);
        var code = GilCodeScanner.Scan(elf);
        var take = ElfSymbolLocator.FindFunctionAndClones(symbols, elf, "take_gil");
        var drop = ElfSymbolLocator.FindFunctionAndClones(symbols, elf, "drop_gil");
        Assert.Equal(take.Select(t => t.Address).Order(), code.TakeGilEntries.Order());
        Assert.All(code.AcquireStores, a => Assert.Contains(take, t => a >= t.Address && a < t.Address + t.Size));
        Assert.Equal(6, code.ReleaseStores.Count);
        Assert.Single(code.ReleaseStores, a => drop.Any(d => a >= d.Address && a < d.Address + d.Size));
        foreach (var a in code.ReleaseStores)
        {
            var fn = symbols.Symbols.First(s => s.Type == ELFSharp.ELF.Sections.SymbolType.Function && s.Size > 0 && a >= s.Value && a < s.Value + s.Size);
            output.WriteLine($"release store 0x{a:x} in {fn.Name}");
        }
    }
}
