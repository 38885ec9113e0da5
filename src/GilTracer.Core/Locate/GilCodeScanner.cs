using GilTracer.Core.Model;
using Iced.Intel;

namespace GilTracer.Core.Locate;

/// <summary>
/// One GIL release: the `movl $0` to locked, and the return addresses of the MUTEX_UNLOCK(gil->mutex) calls after its
/// COND_SIGNAL (the waker is often preempted by the thread it wakes in between: still inside drop_gil).
/// </summary>
public sealed record GilRelease(ulong Store, IReadOnlyList<ulong> Ends);

/// <summary>
/// The forced switch after a release: `if (drop request) { MUTEX_LOCK(switch_mutex); if (last_holder == tstate)
/// COND_WAIT(switch_cond, switch_mutex); MUTEX_UNLOCK(switch_mutex); }`. Lock is the mutex_lock call, Wait the
/// pthread_cond_wait call, Ends the return addresses of the mutex_unlock calls that close the block.
/// </summary>
public sealed record ForcedSwitch(ulong Lock, ulong Wait, IReadOnlyList<ulong> Ends);

/// <summary>What the disassembly found: virtual addresses in the scanned binary.</summary>
public sealed record GilCode(
    /// <summary>Entry of take_gil and of each compiler clone of it.</summary>
    IReadOnlyList<ulong> TakeGilEntries,
    /// <summary>The `movl $1` to the GIL's locked field inside each take_gil: from here the thread holds the GIL.</summary>
    IReadOnlyList<ulong> AcquireStores,
    /// <summary>Every release of the GIL: drop_gil's and each inlined copy's.</summary>
    IReadOnlyList<GilRelease> Releases,
    /// <summary>The forced-switch block of drop_gil and of each copy.</summary>
    IReadOnlyList<ForcedSwitch> ForcedSwitches,
    /// <summary>How take_gil was anchored, for doctor and --verbose.</summary>
    string Anchor)
{
    /// <summary>Every `movl $0` to the locked field that releases the GIL.</summary>
    public IReadOnlyList<ulong> ReleaseStores => Releases.Select(r => r.Store).ToList();
}

/// <summary>
/// Finds take_gil, every GIL release and every forced-switch wait of a CPython 3.8–3.15 binary without symbols, by
/// disassembly (Iced). The GIL code has kept one shape (Python/ceval_gil.c):
/// <code>
/// take_gil:  MUTEX_LOCK(mutex); … COND_TIMED_WAIT(cond, mutex) …; MUTEX_LOCK(switch_mutex); locked = 1; … COND_SIGNAL(switch_cond)
/// drop_gil:  MUTEX_LOCK(mutex); locked = 0; COND_SIGNAL(cond); MUTEX_UNLOCK(mutex);
///            if (drop request) { MUTEX_LOCK(switch_mutex); if (last_holder == tstate) COND_WAIT(switch_cond, switch_mutex); … }
/// </code>
/// take_gil is the function with a timed wait whose `movl $1` follows a mutex lock and precedes a signal, all three
/// on the object the timed wait uses; it teaches the GIL's layout (where locked, mutex, cond, switch_mutex and
/// switch_cond lie relative to each other). A release is a `movl $0` between a mutex lock and a signal whose three
/// addresses keep that layout (so 3.14's `tstate->holds_gil = 0` beside it, or 3.15's extra `movl $1` in take_gil,
/// do not match); a forced-switch wait is a pthread_cond_wait on (switch_cond, switch_mutex) in a function that
/// releases. Addresses are compared by <see cref="ValueResolver"/>, whatever names the GIL (a constant in non-PIE
/// code, a register or a stack slot elsewhere). take_gil is anchored on the exported PyEval_RestoreThread.
/// </summary>
public static class GilCodeScanner
{
    /// <summary>Instructions allowed between a mutex_lock call and the store (an inline Py_FatalError path may sit between).</summary>
    const int LockToStore = 10;
    /// <summary>Instructions allowed between a release store and its pthread_cond_signal call.</summary>
    const int ReleaseToSignal = 6;
    /// <summary>Instructions allowed between the acquiring store and the switch_cond signal.</summary>
    const int AcquireToSignal = 16;

    enum Op : byte { Other, MutexLock, MutexUnlock, CondSignal, CondWait, CondTimedWait, CallLocal, Store0, Store1 }

    /// <summary>Where the GIL's fields lie relative to each other (displacements from one base; only differences count).</summary>
    sealed record Layout(long Locked, long Mutex, long? Cond, long SwitchMutex, long SwitchCond);

    /// <summary>A function worth a closer look: it locks a mutex and signals or waits on a condition variable.</summary>
    sealed class Function(CodeRange range, Instruction[] code, Op[] ops, Func<Instruction, bool> noReturn)
    {
        public readonly CodeRange Range = range;
        public readonly Op[] Ops = ops;
        public readonly ValueResolver Values = new(code, noReturn);
        public Instruction this[int i] => Values.Instructions[i];
        public int Count => Ops.Length;
        public bool Has(Op op) => Array.IndexOf(Ops, op) >= 0;
    }

    public static GilCode Scan(ElfImage elf, string? version = null)
    {
        string hint = Hint(version);
        var imports = new ImportResolver(elf);
        if (imports.ImportCount == 0)
            throw new GilTracerException($"{elf.Path} imports nothing (statically linked?): the GIL heuristic needs its pthread calls; {hint}");
        var ranges = EhFrameReader.ReadFunctions(elf);
        if (ranges.Count == 0)
            throw new GilTracerException($"{elf.Path} has no .eh_frame function table: the GIL heuristic cannot find function bounds; {hint}");

        var noReturn = NoReturn(elf, imports);
        var calls = new Dictionary<ulong, List<ulong>>(); // function start → targets of its calls and tail jumps
        var functions = new List<Function>();
        var body = new List<Instruction>(4096);
        var ops = new List<Op>(4096);
        foreach (var r in ranges)
        {
            if (!Decode(elf, imports, r, body, ops)) continue;
            var targets = new List<ulong>();
            foreach (var i in body)
                if (i.FlowControl is FlowControl.Call or FlowControl.UnconditionalBranch && i.Op0Kind == OpKind.NearBranch64
                    && !r.Contains(i.NearBranchTarget) && !imports.IsPlt(i.NearBranchTarget))
                    targets.Add(i.NearBranchTarget);
            calls[r.Start] = targets;
            if (ops.Contains(Op.MutexLock) && (ops.Contains(Op.CondSignal) || ops.Contains(Op.CondWait) || ops.Contains(Op.CondTimedWait)))
                functions.Add(new Function(r, body.ToArray(), ops.ToArray(), noReturn));
        }

        var takeGil = new List<Function>();
        var acquires = new List<ulong>();
        Layout? layout = null;
        foreach (var f in functions.Where(f => f.Has(Op.CondTimedWait)))
        {
            var found = FindAcquires(f);
            if (found.Count == 0) continue;
            if (found.Count > 1)
                throw new GilTracerException($"{elf.Path}: take_gil at 0x{f.Range.Start:x} has {found.Count} stores that look like the GIL's acquire; {hint}");
            var (store, l) = found[0];
            if (layout is not null && !SameShape(layout, l))
                throw new GilTracerException($"{elf.Path}: two take_gil look-alikes disagree on the GIL's layout; {hint}");
            layout ??= l;
            takeGil.Add(f);
            acquires.Add(store);
        }
        if (takeGil.Count == 0 || layout is null)
            throw new GilTracerException($"found no take_gil in {elf.Path} (no GIL acquire pattern; not a CPython with a GIL?); {hint}");

        var releases = new List<GilRelease>();
        var switches = new List<ForcedSwitch>();
        foreach (var f in functions)
        {
            int before = releases.Count;
            releases.AddRange(FindReleases(f, layout));
            if (releases.Count > before) switches.AddRange(FindForcedSwitches(f, layout));
        }
        if (releases.Count == 0)
            throw new GilTracerException($"found take_gil but no GIL release in {elf.Path}; {hint}");
        string anchor = Anchor(elf, calls, takeGil.Select(f => f.Range.Start).ToList(), hint);
        return new GilCode(takeGil.Select(f => f.Range.Start).ToList(), acquires, releases, switches, anchor);
    }

    /// <summary>Functions that never return, by name (imports, and exports of a static build): code after a call to one is not reached from it.</summary>
    static readonly HashSet<string> NoReturnNames =
    [
        "Py_FatalError", "_Py_FatalErrorFunc", "_Py_FatalErrorFormat", "_Py_FatalRefcountErrorFunc", "PyThread_exit_thread", "Py_Exit",
        "abort", "exit", "_exit", "pthread_exit", "__assert_fail", "__stack_chk_fail", "__fortify_fail", "longjmp", "siglongjmp",
    ];

    static Func<Instruction, bool> NoReturn(ElfImage elf, ImportResolver imports)
    {
        var local = elf.Symbols.Where(s => s.Value != 0 && NoReturnNames.Contains(s.Name)).Select(s => s.Value).ToHashSet();
        return ins => imports.Target(ins) is { } name ? NoReturnNames.Contains(name)
            : ins.Op0Kind == OpKind.NearBranch64 && local.Contains(ins.NearBranchTarget);
    }

    /// <summary>What a user can do when the heuristic refuses: get the real symbols.</summary>
    public static string Hint(string? version)
    {
        var parts = version?.Split('.');
        string pkg = parts is { Length: >= 2 } ? $"python{parts[0]}.{parts[1]}-dbg" : "python3.X-dbg";
        return $"install its debug file (Debian: {pkg}) or set DEBUGINFOD_URLS; experts: --take-gil-offset/--drop-gil-offset";
    }

    /// <summary>
    /// The acquiring stores of a take_gil candidate: `movl $1` after a mutex lock and before a signal, on the object
    /// whose mutex the timed wait uses; each with the layout it implies.
    /// </summary>
    static List<(ulong Store, Layout Layout)> FindAcquires(Function f)
    {
        var found = new List<(ulong, Layout)>();
        var timed = Enumerable.Range(0, f.Count).Where(i => f.Ops[i] == Op.CondTimedWait)
            .Select(i => (Cond: f.Values.Register(Register.RDI, i), Mutex: f.Values.Register(Register.RSI, i))).ToList();
        for (int s = 0; s < f.Count; s++)
        {
            if (f.Ops[s] != Op.Store1) continue;
            int lk = Preceding(f, s, Op.MutexLock, LockToStore), sig = Following(f, s, Op.CondSignal, AcquireToSignal);
            if (lk < 0 || sig < 0) continue;
            var locked = f.Values.MemoryAddress(s);
            var switchMutex = f.Values.Register(Register.RDI, lk);
            var switchCond = f.Values.Register(Register.RDI, sig);
            if (!Known(locked) || locked.Root != switchMutex.Root || locked.Root != switchCond.Root) continue;
            // gil->mutex: what the timed wait waits with, on the same object; else take_gil's first lock of it.
            var wait = timed.FirstOrDefault(t => t.Mutex.Root == locked.Root && t.Mutex != switchMutex);
            long? mutex = wait.Mutex.Root == locked.Root ? wait.Mutex.Disp : FirstOtherLock(f, locked.Root, switchMutex);
            if (mutex is null) continue;
            long? cond = wait.Cond.Root == locked.Root ? wait.Cond.Disp : null;
            found.Add((f[s].IP, new Layout(locked.Disp, mutex.Value, cond, switchMutex.Disp, switchCond.Disp)));
        }
        return found;
    }

    static long? FirstOtherLock(Function f, ValueRoot root, Value not)
    {
        for (int i = 0; i < f.Count; i++)
            if (f.Ops[i] == Op.MutexLock && f.Values.Register(Register.RDI, i) is var v && v.Root == root && v != not) return v.Disp;
        return null;
    }

    static bool SameShape(Layout a, Layout b) =>
        a.Locked - a.Mutex == b.Locked - b.Mutex && a.SwitchMutex - a.Mutex == b.SwitchMutex - b.Mutex
        && a.SwitchCond - a.SwitchMutex == b.SwitchCond - b.SwitchMutex;

    static IEnumerable<GilRelease> FindReleases(Function f, Layout gil)
    {
        for (int s = 0; s < f.Count; s++)
        {
            if (f.Ops[s] != Op.Store0) continue;
            int lk = Preceding(f, s, Op.MutexLock, LockToStore), sig = Following(f, s, Op.CondSignal, ReleaseToSignal);
            if (lk < 0 || sig < 0) continue;
            var locked = f.Values.MemoryAddress(s);
            var mutex = f.Values.Register(Register.RDI, lk);
            if (!Known(locked) || locked.Root != mutex.Root || locked.Disp - mutex.Disp != gil.Locked - gil.Mutex) continue;
            if (gil.Cond is { } c)
            {
                var cond = f.Values.Register(Register.RDI, sig);
                if (cond.Root != mutex.Root || cond.Disp - mutex.Disp != c - gil.Mutex) continue;
            }
            yield return new GilRelease(f[s].IP, Returns(f, f.Values.After(sig, i => IsCallOn(f, i, Op.MutexUnlock, mutex))));
        }
    }

    /// <summary>A call of kind <paramref name="op"/> whose first argument is <paramref name="arg"/>.</summary>
    static bool IsCallOn(Function f, int i, Op op, Value arg) =>
        f.Ops[i] == op && f[i].FlowControl == FlowControl.Call && f.Values.Register(Register.RDI, i) == arg;

    static List<ulong> Returns(Function f, List<int> calls) => calls.Select(i => f[i].NextIP).ToList();

    /// <summary>
    /// Each pthread_cond_wait(switch_cond, switch_mutex) call (the dropper waits there for the next holder), with the
    /// lock of switch_mutex before it and the unlocks after that lock: the whole forced-switch block.
    /// </summary>
    static IEnumerable<ForcedSwitch> FindForcedSwitches(Function f, Layout gil)
    {
        for (int w = 0; w < f.Count; w++)
        {
            if (f.Ops[w] != Op.CondWait || f[w].FlowControl != FlowControl.Call) continue;
            var cond = f.Values.Register(Register.RDI, w);
            var mutex = f.Values.Register(Register.RSI, w);
            if (!Known(cond) || cond.Root != mutex.Root || cond.Disp - mutex.Disp != gil.SwitchCond - gil.SwitchMutex) continue;
            var locks = f.Values.Before(w, i => IsCallOn(f, i, Op.MutexLock, mutex));
            if (locks.Count != 1) { yield return new ForcedSwitch(f[w].IP, f[w].IP, [f[w].NextIP]); continue; }
            var ends = Returns(f, f.Values.After(locks[0], i => IsCallOn(f, i, Op.MutexUnlock, mutex)));
            yield return new ForcedSwitch(f[locks[0]].IP, f[w].IP, ends.Count > 0 ? ends : [f[w].NextIP]);
        }
    }

    static bool Known(Value v) => v.Root is not UnknownRoot;

    /// <summary>The nearest instruction of kind <paramref name="op"/> at most <paramref name="within"/> before <paramref name="at"/>, or -1.</summary>
    static int Preceding(Function f, int at, Op op, int within)
    {
        for (int j = at - 1; j >= 0 && j >= at - within; j--)
            if (f.Ops[j] == op) return j;
        return -1;
    }

    /// <summary>The nearest <paramref name="op"/> after <paramref name="at"/> with no other call or lock in between, or -1.</summary>
    static int Following(Function f, int at, Op op, int within)
    {
        for (int j = at + 1; j < f.Count && j <= at + within; j++)
        {
            if (f.Ops[j] == op) return j;
            if (f.Ops[j] is Op.CallLocal or Op.MutexLock or Op.CondTimedWait or Op.CondWait) return -1;
        }
        return -1;
    }

    /// <summary>take_gil must be reachable from PyEval_RestoreThread within three calls, or the match is a look-alike.</summary>
    static string Anchor(ElfImage elf, Dictionary<ulong, List<ulong>> calls, List<ulong> takeGil, string hint)
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
                    if (takeGil.Contains(t))
                        return $"take_gil at 0x{t:x} is reached from PyEval_RestoreThread (0x{restore.Value:x}) in {depth} call(s)";
                    if (seen.Add(t)) next.Add(t);
                }
            }
            frontier = next;
        }
        throw new GilTracerException($"the take_gil look-alike(s) in {elf.Path} are not called from PyEval_RestoreThread; {hint}");
    }

    static bool Decode(ElfImage elf, ImportResolver imports, CodeRange f, List<Instruction> body, List<Op> ops)
    {
        body.Clear();
        ops.Clear();
        var off = elf.TryFileOffset(f.Start);
        if (off is null || imports.IsPlt(f.Start)) return false;
        // FDE ranges come from the file: one that is empty, wraps around or runs past the file is no function
        if (f.End <= f.Start || f.End - f.Start > (ulong)elf.Bytes.Length || off.Value > (ulong)elf.Bytes.Length - (f.End - f.Start)) return false;
        int len = (int)(f.End - f.Start);
        var decoder = Decoder.Create(64, new ByteArrayCodeReader(elf.Bytes, (int)off.Value, len), f.Start);
        while (decoder.IP < f.End)
        {
            decoder.Decode(out var ins);
            if (ins.IsInvalid) continue;
            body.Add(ins);
            ops.Add(Classify(ins, imports));
        }
        return true;
    }

    static Op Classify(in Instruction ins, ImportResolver imports)
    {
        if (ins.Mnemonic is Mnemonic.Call or Mnemonic.Jmp)
        {
            var name = imports.Target(ins);
            if (name is not null)
                return name switch
                {
                    "pthread_mutex_lock" => Op.MutexLock,
                    "pthread_mutex_unlock" => Op.MutexUnlock,
                    "pthread_cond_signal" => Op.CondSignal,
                    "pthread_cond_wait" => Op.CondWait,
                    "pthread_cond_timedwait" => Op.CondTimedWait,
                    _ => Op.Other,
                };
            if (ins.Mnemonic == Mnemonic.Call && ins.Op0Kind is OpKind.NearBranch64 && !imports.IsPlt(ins.NearBranchTarget))
                return Op.CallLocal;
            return Op.Other;
        }
        // Stores to the stack (locals such as take_gil's `drop_requested = 1`) are never the GIL's flag.
        if (ins.Code == Code.Mov_rm32_imm32 && ins.Op0Kind == OpKind.Memory && ins.Immediate32 <= 1 && ins.MemoryBase != Register.RSP)
            return ins.Immediate32 == 0 ? Op.Store0 : Op.Store1;
        return Op.Other;
    }
}
