using GilTracer.Core.Model;
using Iced.Intel;

namespace GilTracer.Core.Locate;

/// <summary>What the disassembly found: virtual addresses in the scanned binary.</summary>
public sealed record GilCode(
    /// <summary>Entry of take_gil and of each compiler clone of it.</summary>
    IReadOnlyList<ulong> TakeGilEntries,
    /// <summary>The `movl $1` to the GIL's locked field inside each take_gil: from here the thread holds the GIL.</summary>
    IReadOnlyList<ulong> AcquireStores,
    /// <summary>Every `movl $0` to the locked field that releases the GIL: drop_gil's and each inlined copy's.</summary>
    IReadOnlyList<ulong> ReleaseStores,
    /// <summary>How take_gil was anchored, for doctor and --verbose.</summary>
    string Anchor);

/// <summary>
/// Finds take_gil and every GIL release point of a CPython 3.8–3.13 binary without symbols, by disassembly (Iced).
/// CPython's GIL code has the same shape in every version from 3.8 to 3.13 (Python/ceval_gil.c):
/// <code>
/// take_gil:  … MUTEX_LOCK(switch_mutex); gil->locked = 1; … COND_SIGNAL(switch_cond) …   (and a COND_TIMED_WAIT loop)
/// drop_gil:  MUTEX_LOCK(gil->mutex); gil->locked = 0; COND_SIGNAL(gil->cond); …
/// </code>
/// so an acquire is a `mov dword [m], 1` right after a pthread_mutex_lock call and shortly before a
/// pthread_cond_signal call, in a function that also calls pthread_cond_timedwait; a release is a
/// `mov dword [m], 0` right after pthread_mutex_lock and right before pthread_cond_signal. Function bounds come
/// from .eh_frame. take_gil is anchored on the exported PyEval_RestoreThread: one of the functions it reaches
/// within a few calls must be a take_gil candidate (3.8–3.12 call it first; 3.13 through _PyThreadState_Attach).
/// </summary>
public static class GilCodeScanner
{
    /// <summary>Instructions allowed between the mutex_lock call and the store.</summary>
    const int LockToStore = 4;
    /// <summary>Instructions allowed between a release store and its pthread_cond_signal call.</summary>
    const int ReleaseToSignal = 6;
    /// <summary>Instructions allowed between the acquiring store and the switch_cond signal.</summary>
    const int AcquireToSignal = 16;

    enum Op : byte { Other, MutexLock, CondSignal, CondTimedWait, CallLocal, Store0, Store1 }

    readonly record struct Ins(ulong Ip, Op Op, ulong Target);

    public static GilCode Scan(ElfImage elf)
    {
        var imports = new ImportResolver(elf);
        if (imports.ImportCount == 0)
            throw new GilTracerException($"{elf.Path} imports nothing (statically linked?): the GIL heuristic needs its pthread calls; use --take-gil-offset/--drop-gil-offset");
        var functions = EhFrameReader.ReadFunctions(elf);
        if (functions.Count == 0)
            throw new GilTracerException($"{elf.Path} has no .eh_frame function table: the GIL heuristic cannot find function bounds; use --take-gil-offset/--drop-gil-offset");

        var takeGil = new List<CodeRange>();
        var acquires = new List<ulong>();
        var releases = new List<ulong>();
        var calls = new Dictionary<ulong, List<ulong>>(); // function start → targets of its calls and tail jumps
        var body = new List<Ins>(4096);
        foreach (var f in functions)
        {
            if (!Decode(elf, imports, f, body)) continue;
            var acq = FindAcquires(body);
            if (acq.Count > 0 && body.Any(i => i.Op == Op.CondTimedWait))
            {
                takeGil.Add(f);
                acquires.AddRange(acq);
            }
            releases.AddRange(FindReleases(body));
            var targets = new List<ulong>();
            foreach (var i in body)
                if (i.Op == Op.CallLocal && !f.Contains(i.Target)) targets.Add(i.Target);
            calls[f.Start] = targets;
        }
        if (takeGil.Count == 0)
            throw new GilTracerException($"found no take_gil in {elf.Path} (no GIL acquire pattern); not a CPython 3.8–3.13 with a GIL? Experts: --take-gil-offset/--drop-gil-offset");
        if (releases.Count == 0)
            throw new GilTracerException($"found take_gil but no GIL release in {elf.Path}; experts: --take-gil-offset/--drop-gil-offset");
        string anchor = Anchor(elf, calls, takeGil);
        return new GilCode(takeGil.Select(r => r.Start).ToList(), acquires, releases, anchor);
    }

    /// <summary>take_gil must be reachable from PyEval_RestoreThread within three calls, or the match is a look-alike.</summary>
    static string Anchor(ElfImage elf, Dictionary<ulong, List<ulong>> calls, List<CodeRange> takeGil)
    {
        var restore = elf.Symbols.FirstOrDefault(s => s.Name == "PyEval_RestoreThread" && s.Value != 0)
            ?? throw new GilTracerException($"{elf.Path} does not export PyEval_RestoreThread: it is not the binary that holds CPython's GIL code");
        var frontier = new List<ulong> { restore.Value };
        var seen = new HashSet<ulong> { restore.Value };
        for (int depth = 1; depth <= 3; depth++)
        {
            var next = new List<ulong>();
            foreach (var fn in frontier)
            {
                if (!calls.TryGetValue(fn, out var targets)) continue;
                foreach (var t in targets)
                {
                    if (takeGil.Any(r => r.Start == t))
                        return $"take_gil at 0x{t:x} is reached from PyEval_RestoreThread (0x{restore.Value:x}) in {depth} call(s)";
                    if (seen.Add(t)) next.Add(t);
                }
            }
            frontier = next;
        }
        throw new GilTracerException($"the take_gil look-alike(s) in {elf.Path} are not called from PyEval_RestoreThread; experts: --take-gil-offset/--drop-gil-offset");
    }

    static bool Decode(ElfImage elf, ImportResolver imports, CodeRange f, List<Ins> body)
    {
        body.Clear();
        var off = elf.TryFileOffset(f.Start);
        if (off is null || imports.IsPlt(f.Start)) return false;
        int len = (int)(f.End - f.Start);
        if ((long)off.Value + len > elf.Bytes.Length) return false;
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(elf.Bytes, (int)off.Value, len), f.Start);
        while (decoder.IP < f.End)
        {
            decoder.Decode(out var ins);
            if (ins.IsInvalid) continue;
            body.Add(Classify(ins, imports));
        }
        return true;
    }

    static Ins Classify(in Instruction ins, ImportResolver imports)
    {
        if (ins.Mnemonic is Mnemonic.Call or Mnemonic.Jmp)
        {
            var name = imports.Target(ins);
            if (name is not null)
            {
                var op = name switch
                {
                    "pthread_mutex_lock" => Op.MutexLock,
                    "pthread_cond_signal" => Op.CondSignal,
                    "pthread_cond_timedwait" => Op.CondTimedWait,
                    _ => Op.Other,
                };
                return new Ins(ins.IP, op, 0);
            }
            if (ins.Op0Kind is OpKind.NearBranch64 && !imports.IsPlt(ins.NearBranchTarget))
                return new Ins(ins.IP, Op.CallLocal, ins.NearBranchTarget);
            return new Ins(ins.IP, Op.Other, 0);
        }
        // Stores to the stack (locals such as take_gil's `drop_requested = 1`) are never the GIL's flag.
        if (ins.Code == Code.Mov_rm32_imm32 && ins.Op0Kind == OpKind.Memory && ins.Immediate32 <= 1 && ins.MemoryBase != Register.RSP)
            return new Ins(ins.IP, ins.Immediate32 == 0 ? Op.Store0 : Op.Store1, 0);
        return new Ins(ins.IP, Op.Other, 0);
    }

    static List<ulong> FindAcquires(List<Ins> body)
    {
        var found = new List<ulong>();
        for (int s = 0; s < body.Count; s++)
        {
            if (body[s].Op != Op.Store1 || !FollowsLock(body, s)) continue;
            for (int j = s + 1; j < body.Count && j <= s + AcquireToSignal; j++)
                if (body[j].Op == Op.CondSignal) { found.Add(body[s].Ip); break; }
        }
        return found;
    }

    static IEnumerable<ulong> FindReleases(List<Ins> body)
    {
        for (int s = 0; s < body.Count; s++)
        {
            if (body[s].Op != Op.Store0 || !FollowsLock(body, s)) continue;
            for (int j = s + 1; j < body.Count && j <= s + ReleaseToSignal; j++)
            {
                if (body[j].Op == Op.CondSignal) { yield return body[s].Ip; break; }
                if (body[j].Op is Op.CallLocal or Op.MutexLock or Op.CondTimedWait) break;
            }
        }
    }

    static bool FollowsLock(List<Ins> body, int store)
    {
        for (int j = store - 1; j >= 0 && j >= store - LockToStore; j--)
            if (body[j].Op == Op.MutexLock) return true;
        return false;
    }
}
