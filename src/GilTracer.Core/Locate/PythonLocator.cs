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
            throw new GilTracerException($"{facts.Executable} is Python {facts.Version}: GilTracer needs CPython 3.8 or newer; pass --python with one of those");
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
            sites = [];
            if (options.Method != GilMethod.Heuristic)
            {
                sites = SitesFromSymbols(elf, elf, notes, facts.Version);
                if (sites.Count == 0 && DebugInfoLocator.Resolve(elf, options, notes, warnings) is { } debug)
                {
                    notes.Add(debug.Note);
                    sites = SitesFromSymbols(debug.Image, elf, notes, facts.Version);
                    (method, debugFile) = (debug.Method, debug.Path);
                }
                if (sites.Count == 0 && options.Method == GilMethod.Symbols)
                    throw new GilTracerException($"--gil-method symbols: {gilBinary} has no take_gil/drop_gil symbols and no debug file was found; {GilCodeScanner.Hint(facts.Version)}");
            }
            else if (elf.HasSymtab) notes.Add("symbols ignored (--gil-method heuristic)");
            if (sites.Count == 0)
            {
                sites = SitesFromHeuristic(elf, notes, facts.Version);
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
    /// Entry and return probes on take_gil and drop_gil and on each of their compiler clones (drop_gil, not 3.14+'s
    /// drop_gil_impl it inlines or calls: the forced-switch wait is in drop_gil); plus, found by disassembly, a plain
    /// probe on every release the compiler inlined elsewhere (LTO builds inline drop_gil into PyEval_SaveThread,
    /// _Py_HandlePending and the I/O wrappers; 3.13 into PyEval_ReleaseLock; 3.14+ keep an out-of-line
    /// drop_gil_impl for final releases) and on the forced-switch wait of each such copy, which has no return to
    /// probe. Empty when the symbols are missing.
    /// </summary>
    public static List<ProbeSite> SitesFromSymbols(ElfImage symbols, ElfImage code, List<string>? notes = null, string? version = null)
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
        bool InDrop(ulong a) => drops.Any(d => a >= d.Address && a < d.Address + d.Size);
        string Where(ulong a) => symbols.Symbols.FirstOrDefault(s => s.Type == ELFSharp.ELF.Sections.SymbolType.Function && a >= s.Value && a < s.Value + s.Size)?.Name ?? "?";
        try
        {
            var scanned = GilCodeScanner.Scan(code, version);
            foreach (var r in scanned.Releases.Where(r => !InDrop(r.Store)))
            {
                AddRelease(sites, code, r, $"inlined release in {Where(r.Store)}");
                notes?.Add($"inlined release in {Where(r.Store)} at 0x{r.Store:x}");
            }
            foreach (var w in scanned.ForcedSwitches.Where(w => !InDrop(w.Wait)))
            {
                AddForcedSwitch(sites, code, w, $"forced switch in {Where(w.Wait)}");
                notes?.Add($"forced switch in {Where(w.Wait)} at 0x{w.Lock:x}");
            }
        }
        catch (GilTracerException e)
        {
            notes?.Add($"no search for inlined releases: {e.Message}");
        }
        return sites;
    }

    /// <summary>
    /// Stripped binary: take_gil entries, its acquiring stores, every release store and every forced-switch wait
    /// (start and end), by disassembly.
    /// </summary>
    public static List<ProbeSite> SitesFromHeuristic(ElfImage elf, List<string>? notes = null, string? version = null)
    {
        var code = GilCodeScanner.Scan(elf, version);
        notes?.Add(code.Anchor);
        var sites = new List<ProbeSite>();
        foreach (var a in code.TakeGilEntries)
            sites.Add(new ProbeSite(ProbeSiteKind.TakeGilEntry, elf.Path, elf.FileOffset(a), $"take_gil@0x{a:x}"));
        foreach (var a in code.AcquireStores)
            sites.Add(new ProbeSite(ProbeSiteKind.TakeGilAcquire, elf.Path, elf.FileOffset(a), $"acquiring store@0x{a:x}"));
        foreach (var r in code.Releases) AddRelease(sites, elf, r, $"release store@0x{r.Store:x}");
        foreach (var w in code.ForcedSwitches) AddForcedSwitch(sites, elf, w, $"forced switch@0x{w.Lock:x}");
        return sites;
    }

    /// <summary>The release store, and its ends when known (counted as a drop_gil entry and return); a bare release site otherwise.</summary>
    static void AddRelease(List<ProbeSite> sites, ElfImage code, GilRelease r, string desc)
    {
        if (r.Ends.Count == 0)
        {
            sites.Add(new ProbeSite(ProbeSiteKind.ReleaseSite, code.Path, code.FileOffset(r.Store), desc));
            return;
        }
        sites.Add(new ProbeSite(ProbeSiteKind.ReleaseStart, code.Path, code.FileOffset(r.Store), desc));
        foreach (var e in r.Ends) AddOnce(sites, new ProbeSite(ProbeSiteKind.ReleaseEnd, code.Path, code.FileOffset(e), $"{desc}, end@0x{e:x}"));
    }

    /// <summary>The forced-switch block: its lock of switch_mutex opens the handover wait, each unlock's return closes it.</summary>
    static void AddForcedSwitch(List<ProbeSite> sites, ElfImage code, ForcedSwitch w, string desc)
    {
        sites.Add(new ProbeSite(ProbeSiteKind.HandoverWait, code.Path, code.FileOffset(w.Lock), $"{desc} (wait@0x{w.Wait:x})"));
        foreach (var e in w.Ends) AddOnce(sites, new ProbeSite(ProbeSiteKind.HandoverWaitEnd, code.Path, code.FileOffset(e), $"{desc}, end@0x{e:x}"));
    }

    /// <summary>Two releases may share their unlock: one probe per place, or each hit would count twice.</summary>
    static void AddOnce(List<ProbeSite> sites, ProbeSite site)
    {
        if (!sites.Any(s => s.Kind == site.Kind && s.FileOffset == site.FileOffset)) sites.Add(site);
    }
}
