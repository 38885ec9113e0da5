using GilTracer.Core.Model;

namespace GilTracer.Core.Locate;

/// <summary>
/// Finds where to probe an interpreter: the binary that holds take_gil/drop_gil (libpython for shared builds,
/// the executable for static ones) and the file offsets of every probe site. In order: expert overrides, the
/// binary's own symbols, a separate debug file (build-id, .gnu_debuglink), then disassembly (GilCodeScanner).
/// </summary>
public static class PythonLocator
{
    public static PythonTarget Locate(string python) => Locate(python, new LocateOptions());

    public static PythonTarget Locate(string python, LocateOptions options)
    {
        var facts = InterpreterProbe.Ask(python);
        CheckSupported(facts);
        // The library the dynamic loader really mapped (DT_NEEDED resolved by ld.so, RPATH, LD_LIBRARY_PATH).
        string? lib = facts.MappedFiles.FirstOrDefault(f => Path.GetFileName(f).StartsWith("libpython", StringComparison.Ordinal));
        return LocateIn(facts, lib ?? facts.Executable, lib is not null, options);
    }

    public static void CheckSupported(InterpreterFacts facts)
    {
        var parts = facts.Version.Split('.');
        if (parts.Length < 2 || !int.TryParse(parts[0], out var major) || !int.TryParse(parts[1], out var minor))
            throw new GilTracerException($"'{facts.Executable}' reports an unknown version '{facts.Version}'; pass --python with CPython 3.8 or newer");
        if (major < 3)
            throw new GilTracerException($"{facts.Executable} is Python {facts.Version}: Python 2 is not supported; pass --python with CPython 3.8 or newer");
        if (major == 3 && minor < 8)
            throw new GilTracerException($"{facts.Executable} is Python {facts.Version}: GilTracer supports CPython 3.8 to 3.13; pass --python with one of those");
        if (facts.FreeThreaded)
            throw new GilTracerException($"{facts.Executable} is a free-threaded build (Py_GIL_DISABLED): there is no GIL to trace; use the regular build of Python {facts.Version}");
    }

    public static PythonTarget LocateIn(InterpreterFacts facts, string gilBinary, bool shared, LocateOptions options)
    {
        var elf = ElfImage.Load(gilBinary);
        var notes = new List<string>();
        var warnings = new List<string>();
        string? debugFile = null;
        List<ProbeSite> sites;
        string method;
        if (options.TakeGilOffset is not null || options.DropGilOffset is not null)
        {
            if (options.TakeGilOffset is not { } take || options.DropGilOffset is not { } drop)
                throw new GilTracerException("give both --take-gil-offset and --drop-gil-offset (file offsets in the binary that holds the GIL code)", 2);
            foreach (var o in new[] { take, drop })
                if (o >= (ulong)elf.Bytes.Length) throw new GilTracerException($"offset 0x{o:x} is past the end of {gilBinary} ({elf.Bytes.Length} bytes)", 2);
            sites =
            [
                new(ProbeSiteKind.TakeGilEntry, gilBinary, take, "take_gil (override)"),
                new(ProbeSiteKind.TakeGilReturn, gilBinary, take, "take_gil (override)"),
                new(ProbeSiteKind.DropGilEntry, gilBinary, drop, "drop_gil (override)"),
                new(ProbeSiteKind.DropGilReturn, gilBinary, drop, "drop_gil (override)"),
            ];
            method = "override";
        }
        else
        {
            method = "symbols";
            sites = SitesFromSymbols(elf, elf, notes);
            if (sites.Count == 0 && DebugInfoLocator.Resolve(elf, options, notes, warnings) is { } debug)
            {
                notes.Add(debug.Note);
                sites = SitesFromSymbols(debug.Image, elf, notes);
                (method, debugFile) = (debug.Method, debug.Path);
            }
            if (sites.Count == 0)
            {
                sites = SitesFromHeuristic(elf, notes);
                method = "heuristic";
            }
        }
        return new PythonTarget(facts.Executable, facts.Version, gilBinary, method, sites)
        {
            SharedLibrary = shared,
            Stripped = !elf.HasSymtab,
            Notes = notes,
            DebugFile = method is "debuginfo" or "debuginfod" ? debugFile : null,
            Warnings = warnings,
        };
    }

    /// <summary>
    /// Entry and return probes on take_gil and drop_gil and on each of their compiler clones; plus a plain probe on
    /// every release the compiler inlined elsewhere (LTO builds inline drop_gil into PyEval_SaveThread and the I/O
    /// wrappers; 3.13 into PyEval_ReleaseLock), found by disassembly. Empty when the symbols are missing.
    /// </summary>
    public static List<ProbeSite> SitesFromSymbols(ElfImage symbols, ElfImage code, List<string>? notes = null)
    {
        var sites = new List<ProbeSite>();
        var takes = ElfSymbolLocator.FindFunctionAndClones(symbols, code, "take_gil");
        var drops = ElfSymbolLocator.FindFunctionAndClones(symbols, code, "drop_gil");
        if (takes.Count == 0 || drops.Count == 0) return sites;
        foreach (var f in takes)
        {
            sites.Add(new ProbeSite(ProbeSiteKind.TakeGilEntry, code.Path, f.FileOffset, f.Name));
            sites.Add(new ProbeSite(ProbeSiteKind.TakeGilReturn, code.Path, f.FileOffset, f.Name));
        }
        foreach (var f in drops)
        {
            sites.Add(new ProbeSite(ProbeSiteKind.DropGilEntry, code.Path, f.FileOffset, f.Name));
            sites.Add(new ProbeSite(ProbeSiteKind.DropGilReturn, code.Path, f.FileOffset, f.Name));
        }
        try
        {
            var scanned = GilCodeScanner.Scan(code);
            foreach (var a in scanned.ReleaseStores)
            {
                if (drops.Any(d => a >= d.Address && a < d.Address + d.Size)) continue;
                var where = symbols.Symbols.FirstOrDefault(s => s.Type == ELFSharp.ELF.Sections.SymbolType.Function && a >= s.Value && a < s.Value + s.Size);
                var desc = $"inlined release in {where?.Name ?? "?"}";
                sites.Add(new ProbeSite(ProbeSiteKind.ReleaseSite, code.Path, code.FileOffset(a), desc));
                notes?.Add($"{desc} at 0x{a:x}");
            }
        }
        catch (GilTracerException e)
        {
            notes?.Add($"no search for inlined releases: {e.Message}");
        }
        return sites;
    }

    /// <summary>Stripped binary: take_gil entries, its acquiring stores and every release store, by disassembly.</summary>
    public static List<ProbeSite> SitesFromHeuristic(ElfImage elf, List<string>? notes = null)
    {
        var code = GilCodeScanner.Scan(elf);
        notes?.Add(code.Anchor);
        var sites = new List<ProbeSite>();
        foreach (var a in code.TakeGilEntries)
            sites.Add(new ProbeSite(ProbeSiteKind.TakeGilEntry, elf.Path, elf.FileOffset(a), $"take_gil@0x{a:x}"));
        foreach (var a in code.AcquireStores)
            sites.Add(new ProbeSite(ProbeSiteKind.TakeGilAcquire, elf.Path, elf.FileOffset(a), $"acquiring store@0x{a:x}"));
        foreach (var a in code.ReleaseStores)
            sites.Add(new ProbeSite(ProbeSiteKind.ReleaseSite, elf.Path, elf.FileOffset(a), $"release store@0x{a:x}"));
        return sites;
    }
}
