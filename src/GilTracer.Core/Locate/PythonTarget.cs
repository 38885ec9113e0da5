namespace GilTracer.Core.Locate;

/// <summary>Where a uprobe goes and what its hit means.</summary>
public enum ProbeSiteKind
{
    /// <summary>Entry of take_gil (or of one of its compiler clones): waiting starts.</summary>
    TakeGilEntry,
    /// <summary>Return probe (uretprobe) on take_gil: the GIL is held.</summary>
    TakeGilReturn,
    /// <summary>Plain probe on the instruction that marks the GIL locked inside take_gil (stripped builds, cheaper than a return probe).</summary>
    TakeGilAcquire,
    /// <summary>Entry of drop_gil (or a clone): the hold ends.</summary>
    DropGilEntry,
    /// <summary>Return probe on drop_gil.</summary>
    DropGilReturn,
    /// <summary>Plain probe on an (inlined) release: the store of 0 to the GIL's locked flag, when its end is not found.</summary>
    ReleaseSite,
    /// <summary>
    /// Plain probe on a release store whose end is known (drop_gil without a return probe, or a copy inlined
    /// elsewhere): counted like a drop_gil entry.
    /// </summary>
    ReleaseStart,
    /// <summary>
    /// Plain probe on the return address of the MUTEX_UNLOCK(gil->mutex) after that release, counted like a drop_gil
    /// return: a dropper is often preempted by the thread its COND_SIGNAL wakes before it gets there.
    /// </summary>
    ReleaseEnd,
    /// <summary>
    /// Plain probe on the MUTEX_LOCK(switch_mutex) call that opens the forced switch after a release (a thread asked
    /// for the GIL): the dropper waits there, and in COND_WAIT(switch_cond), for the next holder to take the GIL.
    /// </summary>
    HandoverWait,
    /// <summary>Plain probe on the return address of the MUTEX_UNLOCK(switch_mutex) that closes it: the handover is done.</summary>
    HandoverWaitEnd,
}

/// <summary>How to find the GIL code: the usual order (symbols, debug file, heuristic), or one forced (proofs, experts).</summary>
public enum GilMethod
{
    Auto,
    /// <summary>The binary's or its debug file's symbols only; refuse when there are none.</summary>
    Symbols,
    /// <summary>Disassembly only, even when symbols exist.</summary>
    Heuristic,
}

/// <summary>One probe to place: file offset inside Binary (not a virtual address).</summary>
public sealed record ProbeSite(ProbeSiteKind Kind, string Binary, ulong FileOffset, string Description);

/// <summary>What the locator found about an interpreter.</summary>
public sealed record PythonTarget(
    /// <summary>The real interpreter executable (shims and symlinks resolved).</summary>
    string Executable,
    /// <summary>e.g. "3.11.7".</summary>
    string Version,
    /// <summary>The ELF file that holds the GIL code: libpythonX.Y.so or the executable itself.</summary>
    string GilBinary,
    /// <summary>How the sites were found: "symbols", "debuginfo" (a local debug file), "debuginfod" (a fetched one), "heuristic", "override".</summary>
    string Method,
    IReadOnlyList<ProbeSite> Sites)
{
    /// <summary>True when the GIL code is in a shared libpython (--enable-shared), false when in the executable.</summary>
    public bool SharedLibrary { get; init; }
    /// <summary>True when GilBinary has no .symtab (its local functions such as take_gil have no names).</summary>
    public bool Stripped { get; init; }
    /// <summary>How the sites were found, in a line or two (debug file used, heuristic anchor, inlined releases).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
    /// <summary>The separate debug file whose symbols gave the sites (Method "debuginfo" or "debuginfod"), or null.</summary>
    public string? DebugFile { get; init; }

    /// <summary>3.14+ give OS threads their threading names (comm); 3.13 and older leave the process's name on every thread.</summary>
    public bool NamesOsThreads =>
        (ProcessLocator.VersionFromName(Path.GetFileName(Executable)) ?? ProcessLocator.VersionFromName("python" + Version)) is { Major: 3, Minor: >= 14 } or { Major: > 3 };
    /// <summary>What the user should hear about the locating (debuginfod servers that failed, a debug file refused).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// Expert overrides: file offsets (in GilBinary) of take_gil and drop_gil, skipping every lookup. Where debug files
/// are looked for (null: /usr/lib/debug) and which debuginfod servers are asked (null: DEBUGINFOD_URLS and the rest
/// of the environment, as elfutils reads it; <see cref="DebuginfodOptions.Off"/>: none); or a forced method.
/// </summary>
public sealed record LocateOptions(ulong? TakeGilOffset = null, ulong? DropGilOffset = null, IReadOnlyList<string>? DebugDirectories = null,
    DebuginfodOptions? Debuginfod = null, GilMethod Method = GilMethod.Auto)
{
    /// <summary>"symbols", "heuristic", "auto" (or null); anything else is a usage error.</summary>
    public static GilMethod ParseMethod(string? text, string option) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => GilMethod.Auto,
        "symbols" => GilMethod.Symbols,
        "heuristic" => GilMethod.Heuristic,
        _ => throw new Model.GilTracerException($"{option}: '{text}' is not one of auto, symbols, heuristic", 2),
    };

    /// <summary>For a binary in another root (a chroot, a container): debug files installed in that root count as local
    /// ones too (gdb's sysroot), after those given.</summary>
    public LocateOptions InRoot(string root)
    {
        var rootDebug = Path.Combine(root, DebugInfoLocator.DefaultDirectories[0].TrimStart('/'));
        var dirs = DebugDirectories ?? DebugInfoLocator.DefaultDirectories;
        return root == "/" || dirs.Contains(rootDebug) || !Directory.Exists(rootDebug) ? this : this with { DebugDirectories = [.. dirs, rootDebug] };
    }

    /// <summary>"0x1a2b" or "6699"; null stays null; anything else is a usage error.</summary>
    public static ulong? ParseOffset(string? text, string option)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var t = text.Trim();
        bool ok = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(t.AsSpan(2), System.Globalization.NumberStyles.HexNumber, null, out var v)
            : ulong.TryParse(t, out v);
        return ok ? v : throw new Model.GilTracerException($"{option}: '{text}' is not a file offset (hex 0x… or decimal)", 2);
    }
}
