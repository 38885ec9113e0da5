using System.Diagnostics;
using GilTracer.Core.Locate;
using Iced.Intel;
using Xunit.Abstractions;

namespace GilTracer.Tests.Locate;

/// <summary>
/// What a binary's DWARF debug info says about its GIL code, independently of the heuristic: every call to
/// pthread_cond_signal / pthread_cond_wait, and any address, named by its chain of inlined functions
/// (`addr2line -i` over the debug file: innermost first, e.g. drop_gil_impl ← drop_gil ← … ← PyEval_SaveThread).
/// </summary>
public sealed class GilCodeTruth
{
    /// <summary>An address and the functions it lies in, innermost first (atomic helpers such as _Py_atomic_store_int_relaxed included).</summary>
    public sealed record Site(ulong Address, IReadOnlyList<string> Chain)
    {
        /// <summary>The innermost function that is not an atomic helper (3.13+ inline those).</summary>
        public string Inner => Chain.FirstOrDefault(f => !f.StartsWith("_Py_atomic", StringComparison.Ordinal)) ?? "?";
        /// <summary>The real (outermost) function holding the code.</summary>
        public string Outer => Chain.Count > 0 ? Chain[^1] : "?";
        public bool InAtomicHelper => Chain.Count > 0 && Chain[0].StartsWith("_Py_atomic", StringComparison.Ordinal);
        public override string ToString() => $"0x{Address:x} {string.Join(" ← ", Chain)}";
    }

    readonly string _debugFile;

    /// <summary>COND_SIGNAL(gil->cond) of every release: a pthread_cond_signal call inside drop_gil or drop_gil_impl.</summary>
    public IReadOnlyList<Site> ReleaseSignals { get; }
    /// <summary>COND_WAIT(switch_cond, switch_mutex) of every forced switch: a pthread_cond_wait call inside drop_gil.</summary>
    public IReadOnlyList<Site> HandoverWaits { get; }
    /// <summary>Every pthread_mutex_lock call inside drop_gil (MUTEX_LOCK(switch_mutex)) or drop_gil_impl (gil->mutex; 3.8–3.12: both in drop_gil).</summary>
    public IReadOnlyList<Site> DropLocks { get; }
    /// <summary>The return address of every pthread_mutex_unlock call inside drop_gil or drop_gil_impl.</summary>
    public IReadOnlyList<ulong> DropUnlockReturns { get; }

    GilCodeTruth(string debugFile, IReadOnlyList<Site> signals, IReadOnlyList<Site> waits, IReadOnlyList<Site> locks, IReadOnlyList<(Site Call, ulong Return)> unlocks)
    {
        _debugFile = debugFile;
        ReleaseSignals = signals.Where(s => IsDrop(s.Inner)).ToList();
        HandoverWaits = waits.Where(s => IsDrop(s.Inner) && !s.Inner.StartsWith("drop_gil_impl", StringComparison.Ordinal)).ToList();
        DropLocks = locks.Where(s => IsDrop(s.Inner)).ToList();
        DropUnlockReturns = unlocks.Where(u => IsDrop(u.Call.Inner)).Select(u => u.Return).ToList();
    }

    static bool IsDrop(string f) => f == "drop_gil" || f.StartsWith("drop_gil.", StringComparison.Ordinal) || f.StartsWith("drop_gil_impl", StringComparison.Ordinal);

    public static GilCodeTruth Read(ElfImage code, string debugFile)
    {
        var imports = new ImportResolver(code);
        var signals = new List<ulong>();
        var waits = new List<ulong>();
        var locks = new List<ulong>();
        var unlocks = new Dictionary<ulong, ulong>();
        foreach (var f in EhFrameReader.ReadFunctions(code))
        {
            if (code.TryFileOffset(f.Start) is not { } off || imports.IsPlt(f.Start)) continue;
            var decoder = Decoder.Create(64, new ByteArrayCodeReader(code.Bytes, (int)off, (int)(f.End - f.Start)), f.Start);
            while (decoder.IP < f.End)
            {
                decoder.Decode(out var ins);
                if (ins.Mnemonic != Mnemonic.Call) continue;
                var name = imports.Target(ins);
                if (name == "pthread_cond_signal") signals.Add(ins.IP);
                else if (name == "pthread_cond_wait") waits.Add(ins.IP);
                else if (name == "pthread_mutex_lock") locks.Add(ins.IP);
                else if (name == "pthread_mutex_unlock") unlocks[ins.IP] = ins.NextIP;
            }
        }
        var chains = Describe(debugFile, signals.Concat(waits).Concat(locks).Concat(unlocks.Keys));
        return new GilCodeTruth(debugFile, signals.Select(a => chains[a]).ToList(), waits.Select(a => chains[a]).ToList(),
            locks.Select(a => chains[a]).ToList(), unlocks.Select(u => (chains[u.Key], u.Value)).ToList());
    }

    public Site Describe(ulong address) => Describe(_debugFile, [address])[address];

    public Dictionary<ulong, Site> Describe(IEnumerable<ulong> addresses) => Describe(_debugFile, addresses);

    static Dictionary<ulong, Site> Describe(string debugFile, IEnumerable<ulong> addresses)
    {
        var list = addresses.Distinct().ToList();
        var result = new Dictionary<ulong, Site>();
        if (list.Count == 0) return result;
        EnsureAddr2Line();
        var psi = new ProcessStartInfo("addr2line") { RedirectStandardOutput = true, RedirectStandardInput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-a", "-i", "-f", "-e", debugFile }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        foreach (var a in list) p.StandardInput.WriteLine($"0x{a:x}");
        p.StandardInput.Close();
        p.WaitForExit();
        // -a prints each address, then (function, file:line) pairs, innermost first.
        ulong? current = null;
        var chain = new List<string>();
        var lines = output.Result.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var l = lines[i].Trim();
            if (l.StartsWith("0x", StringComparison.Ordinal) && !l.Contains(':'))
            {
                if (current is { } c) result[c] = new Site(c, chain);
                current = Convert.ToUInt64(l[2..], 16);
                chain = new List<string>();
            }
            else if (l.Length > 0 && current is not null && !l.Contains(':') && !l.StartsWith("??:", StringComparison.Ordinal))
            {
                chain.Add(l);
                i++; // its file:line
            }
        }
        if (current is { } last) result[last] = new Site(last, chain);
        return result;
    }

    /// <summary>
    /// The heuristic's findings are exactly the debug info's: every take_gil clone (symbols), one acquiring store in
    /// each (the atomic store of `locked` where the debug info names 3.13+'s atomic helpers), one release store
    /// right before each COND_SIGNAL of drop_gil/drop_gil_impl (wherever inlined) and nothing else, and the
    /// forced-switch COND_WAIT of every drop_gil copy; each release ends after its MUTEX_UNLOCK(gil->mutex), each
    /// forced switch spans drop_gil's MUTEX_LOCK(switch_mutex) … MUTEX_UNLOCK(switch_mutex), and together those ends
    /// are every mutex unlock of drop_gil and drop_gil_impl.
    /// </summary>
    public void AssertHeuristicMatches(GilCode code, ElfImage symbols, ITestOutputHelper output)
    {
        var named = Describe(code.AcquireStores.Concat(code.ReleaseStores));
        var take = symbols.Symbols.Where(s => s.Type == ELFSharp.ELF.Sections.SymbolType.Function && s.Value != 0 && s.Size > 0
                && (s.Name == "take_gil" || s.Name.StartsWith("take_gil.", StringComparison.Ordinal)) && !s.Name.Contains(".cold"))
            .DistinctBy(s => s.Value).ToList();
        output.WriteLine($"take_gil: {string.Join(", ", take.Select(t => $"{t.Name} 0x{t.Value:x}"))}");
        Assert.Equal(take.Select(t => t.Value).Order(), code.TakeGilEntries.Order());
        Assert.Equal(take.Count, code.AcquireStores.Count);
        bool atomicsNamed = ReleaseSignals.Count > 0 && code.ReleaseStores.Any(a => named[a].InAtomicHelper);
        foreach (var t in take)
        {
            var a = Assert.Single(code.AcquireStores, a => a >= t.Value && a < t.Value + t.Size);
            output.WriteLine($"acquiring store {named[a]}");
            Assert.Equal("take_gil", named[a].Inner);
            if (atomicsNamed) Assert.True(named[a].InAtomicHelper, "the acquiring store is not the atomic store of locked");
        }
        // Each release store pairs with the nearest release signal after it, one to one.
        Assert.Equal(ReleaseSignals.Count, code.ReleaseStores.Count);
        var paired = new HashSet<ulong>();
        foreach (var a in code.ReleaseStores.Order())
        {
            var signal = ReleaseSignals.Where(s => s.Address > a).MinBy(s => s.Address);
            Assert.NotNull(signal);
            Assert.InRange(signal.Address - a, 1UL, 64UL);
            Assert.True(paired.Add(signal.Address), $"two release stores before the signal at 0x{signal.Address:x}");
            Assert.StartsWith("drop_gil", named[a].Inner);
            if (atomicsNamed) Assert.True(named[a].InAtomicHelper, $"release store 0x{a:x} is not the atomic store of locked");
            output.WriteLine($"release store {named[a]}");
        }
        Assert.Equal(HandoverWaits.Select(w => w.Address).Order(), code.ForcedSwitches.Select(w => w.Wait).Order());
        foreach (var w in code.ForcedSwitches)
        {
            var lk = Assert.Single(DropLocks, l => l.Address == w.Lock);
            Assert.False(lk.Inner.StartsWith("drop_gil_impl", StringComparison.Ordinal), $"the forced switch's lock 0x{w.Lock:x} is in {lk.Inner}");
            Assert.InRange(w.Wait - w.Lock, 1UL, 512UL);
            output.WriteLine($"forced switch {lk} … wait 0x{w.Wait:x} … ends {string.Join(",", w.Ends.Select(e => $"0x{e:x}"))}");
        }
        Assert.All(code.Releases, r => Assert.NotEmpty(r.Ends));
        var ends = code.Releases.SelectMany(r => r.Ends).Concat(code.ForcedSwitches.SelectMany(w => w.Ends)).Distinct().Order();
        Assert.Equal(DropUnlockReturns.Order(), ends);
    }

    static readonly Lazy<bool> Addr2Line = new(() =>
    {
        if (File.Exists("/usr/bin/addr2line")) return true;
        // binutils, from the distribution, as .ci/run gets perf
        var psi = new ProcessStartInfo("bash", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binutils >/dev/null"]);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        return File.Exists("/usr/bin/addr2line") ? true : throw new InvalidOperationException("addr2line (binutils) is needed to read debug info");
    });

    static void EnsureAddr2Line() => _ = Addr2Line.Value;
}
