using GilTracer.Core.Model;

namespace GilTracer.Core.Locate;

/// <summary>
/// Finds where to probe an interpreter: the binary that holds take_gil/drop_gil (libpython for shared builds,
/// the executable for static ones) and the file offsets of every probe site.
/// </summary>
public static class PythonLocator
{
    public static PythonTarget Locate(string python)
    {
        var facts = InterpreterProbe.Ask(python);
        var parts = facts.Version.Split('.');
        if (int.Parse(parts[0]) < 3 || (parts[0] == "3" && int.Parse(parts[1]) < 8))
            throw new GilTracerException($"Python {facts.Version} is not supported: GilTracer needs CPython 3.8 or newer");
        if (facts.FreeThreaded)
            throw new GilTracerException($"{facts.Executable} is a free-threaded build (Py_GIL_DISABLED): there is no GIL to trace");

        string gilBinary = facts.MappedFiles.FirstOrDefault(f => Path.GetFileName(f).StartsWith("libpython", StringComparison.Ordinal))
                           ?? facts.Executable;
        var sites = SitesFromSymbols(gilBinary);
        if (sites.Count == 0)
            throw new GilTracerException($"no take_gil/drop_gil symbols in {gilBinary} (stripped binary); use a Python with symbols such as pyenv's, or install its debug symbols");
        return new PythonTarget(facts.Executable, facts.Version, gilBinary, "symbols", sites);
    }

    /// <summary>Entry and return probes on take_gil and drop_gil and on each of their compiler clones.</summary>
    public static List<ProbeSite> SitesFromSymbols(string binary)
    {
        var sites = new List<ProbeSite>();
        var takes = ElfSymbolLocator.FindFunctionAndClones(binary, "take_gil");
        var drops = ElfSymbolLocator.FindFunctionAndClones(binary, "drop_gil");
        if (takes.Count == 0 || drops.Count == 0) return sites;
        foreach (var f in takes)
        {
            sites.Add(new ProbeSite(ProbeSiteKind.TakeGilEntry, binary, f.FileOffset, f.Name));
            sites.Add(new ProbeSite(ProbeSiteKind.TakeGilReturn, binary, f.FileOffset, f.Name));
        }
        foreach (var f in drops)
        {
            sites.Add(new ProbeSite(ProbeSiteKind.DropGilEntry, binary, f.FileOffset, f.Name));
            sites.Add(new ProbeSite(ProbeSiteKind.DropGilReturn, binary, f.FileOffset, f.Name));
        }
        return sites;
    }
}
