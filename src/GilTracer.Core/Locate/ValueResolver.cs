using Iced.Intel;

namespace GilTracer.Core.Locate;

/// <summary>
/// What a register holds, as far as a backward walk can tell: <see cref="Root"/> + <see cref="Disp"/>. Two values
/// with equal roots point into the same object, so their displacements can be compared (the GIL's `locked` field
/// sits at a fixed distance from its mutex and condition variables, whatever register or constant names the GIL).
/// </summary>
public readonly record struct Value(ValueRoot Root, long Disp)
{
    public override string ToString() => Root is AbsoluteRoot ? $"0x{Disp:x}" : $"{Root}+0x{Disp:x}";
}

/// <summary>Where a value comes from.</summary>
public abstract record ValueRoot;
/// <summary>A constant: Disp is the absolute address (RIP-relative operands, `mov $imm, %edi` in non-PIE code).</summary>
public sealed record AbsoluteRoot : ValueRoot { public static readonly AbsoluteRoot Instance = new(); public override string ToString() => "abs"; }
/// <summary>A register's value where the walk left the function (its entry, or a jump in from another part).</summary>
public sealed record EntryRoot(Register Register) : ValueRoot { public override string ToString() => $"{Register}@entry"; }
/// <summary>The value loaded from an address (e.g. interp->ceval.gil).</summary>
public sealed record LoadRoot(Value Address) : ValueRoot { public override string ToString() => $"[{Address}]"; }
/// <summary>The result of an instruction the walk does not look into (a call, arithmetic): equal only to itself.</summary>
public sealed record OpaqueRoot(ulong Ip) : ValueRoot { public override string ToString() => $"@{Ip:x}"; }
/// <summary>Not known (paths disagree, too deep, an indexed address): equal to nothing else.</summary>
public sealed record UnknownRoot : ValueRoot
{
    public override string ToString() => "?";
    public bool Equals(UnknownRoot? other) => ReferenceEquals(this, other);
    public override int GetHashCode() => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(this);
}

/// <summary>
/// Resolves register and memory operands of one function's code back to a <see cref="Value"/>, walking the control
/// flow backwards (fall-through and local branches, so out-of-line error paths laid between a definition and its
/// use are no obstacle) through `lea`, register moves, stack spills and reloads, loads and constants. Calls are
/// assumed to keep every register but rax (compiled code never relies on a clobbered one, and a call to
/// Py_FatalError never returns). All paths must agree, else the value is opaque.
/// </summary>
public sealed class ValueResolver
{
    const int MaxDepth = 10, MaxVisited = 4000;

    readonly Instruction[] _code;
    readonly Dictionary<ulong, int> _index = new();
    readonly Dictionary<int, List<int>> _branchesTo = new();
    readonly Func<Instruction, bool> _noReturn;

    /// <param name="noReturn">Whether a call never returns (Py_FatalError, PyThread_exit_thread …): no path falls through it.</param>
    public ValueResolver(Instruction[] code, Func<Instruction, bool>? noReturn = null)
    {
        _code = code;
        _noReturn = noReturn ?? (_ => false);
        for (int i = 0; i < code.Length; i++) _index[code[i].IP] = i;
        for (int i = 0; i < code.Length; i++)
        {
            ref readonly var ins = ref code[i];
            if (ins.FlowControl is FlowControl.UnconditionalBranch or FlowControl.ConditionalBranch
                && ins.Op0Kind is OpKind.NearBranch64 && _index.TryGetValue(ins.NearBranchTarget, out int t))
            {
                if (!_branchesTo.TryGetValue(t, out var list)) _branchesTo[t] = list = new List<int>(2);
                list.Add(i);
            }
        }
    }

    public IReadOnlyList<Instruction> Instructions => _code;

    public int IndexOf(ulong ip) => _index.TryGetValue(ip, out int i) ? i : -1;

    /// <summary>The value of <paramref name="reg"/> just before instruction <paramref name="at"/> runs.</summary>
    public Value Register(Register reg, int at) => ResolveRegister(reg.GetFullRegister(), at, 0);

    /// <summary>The address the memory operand of instruction <paramref name="at"/> refers to.</summary>
    public Value MemoryAddress(int at) => AddressOf(_code[at], at, 0);

    Value ResolveRegister(Register reg, int at, int depth)
    {
        if (depth > MaxDepth) return Unknown;
        Value? found = null;
        bool agree = true;
        Walk(at, i =>
        {
            if (!Writes(_code[i], reg)) return false;
            var v = Define(i, reg, depth + 1);
            if (found is null) found = v; else if (found != v) agree = false;
            return true;
        }, () =>
        {
            var v = new Value(new EntryRoot(reg), 0);
            if (found is null) found = v; else if (found != v) agree = false;
        });
        return agree && found is { } f ? f : Unknown;
    }

    static Value Unknown => new(new UnknownRoot(), 0);

    /// <summary>The nearest instructions before <paramref name="at"/>, on every path backwards, that satisfy <paramref name="match"/>.</summary>
    public List<int> Before(int at, Func<int, bool> match)
    {
        var found = new List<int>();
        Walk(at, i => { if (!match(i)) return false; if (!found.Contains(i)) found.Add(i); return true; }, () => { });
        return found;
    }

    /// <summary>The nearest instructions after <paramref name="at"/>, on every path forwards (within this function), that satisfy <paramref name="match"/>.</summary>
    public List<int> After(int at, Func<int, bool> match)
    {
        var found = new List<int>();
        var seen = new HashSet<int>();
        var work = new Stack<int>();
        void Push(int from)
        {
            ref readonly var ins = ref _code[from];
            if (FallsThrough(ins) && from + 1 < _code.Length && seen.Add(from + 1)) work.Push(from + 1);
            if (ins.FlowControl is FlowControl.UnconditionalBranch or FlowControl.ConditionalBranch && ins.Op0Kind is OpKind.NearBranch64
                && _index.TryGetValue(ins.NearBranchTarget, out int t) && seen.Add(t)) work.Push(t);
        }
        Push(at);
        while (work.Count > 0 && seen.Count < MaxVisited)
        {
            int i = work.Pop();
            if (match(i)) { if (!found.Contains(i)) found.Add(i); }
            else Push(i);
        }
        found.Sort();
        return found;
    }

    /// <summary>
    /// Visits the instructions that may run right before <paramref name="at"/>, backwards along every path, until
    /// <paramref name="stop"/> says a path is done; <paramref name="leftFunction"/> runs when a path reaches the
    /// function's start or a place entered from outside.
    /// </summary>
    void Walk(int at, Func<int, bool> stop, Action leftFunction)
    {
        var seen = new HashSet<int>();
        var work = new Stack<int>();
        void Push(int from)
        {
            bool any = false;
            if (from > 0 && FallsThrough(_code[from - 1]) && !IsDeadPadding(from - 1)) { any = true; if (seen.Add(from - 1)) work.Push(from - 1); }
            if (_branchesTo.TryGetValue(from, out var list))
                foreach (var b in list) { any = true; if (seen.Add(b)) work.Push(b); }
            if (!any || from == 0) leftFunction();
        }
        Push(at);
        while (work.Count > 0 && seen.Count < MaxVisited)
        {
            int i = work.Pop();
            if (!stop(i)) Push(i);
        }
    }

    /// <summary>Alignment nops after a jump, which nothing enters: no path comes from there.</summary>
    bool IsDeadPadding(int i)
    {
        for (; i > 0 && _code[i].Mnemonic == Mnemonic.Nop; i--)
        {
            if (_branchesTo.ContainsKey(i)) return false;
            if (!FallsThrough(_code[i - 1])) return true;
        }
        return false;
    }

    bool FallsThrough(in Instruction ins) => ins.FlowControl is not (FlowControl.UnconditionalBranch
        or FlowControl.IndirectBranch or FlowControl.Return or FlowControl.Interrupt or FlowControl.Exception)
        && ins.Mnemonic != Mnemonic.Ud2 && ins.Mnemonic != Mnemonic.Hlt
        && !(ins.FlowControl is FlowControl.Call or FlowControl.IndirectCall && _noReturn(ins));

    /// <summary>The value instruction <paramref name="i"/> puts into <paramref name="reg"/> (which it writes).</summary>
    Value Define(int i, Register reg, int depth)
    {
        ref readonly var ins = ref _code[i];
        if (ins.FlowControl is FlowControl.Call or FlowControl.IndirectCall) return new(new OpaqueRoot(ins.IP), 0);
        switch (ins.Code)
        {
            case Code.Lea_r64_m:
                return AddressOf(ins, i, depth);
            case Code.Mov_r64_rm64 when ins.Op1Kind == OpKind.Register:
                return ResolveRegister(ins.Op1Register, i, depth);
            case Code.Mov_rm64_r64 when ins.Op0Kind == OpKind.Register:
                return ResolveRegister(ins.Op1Register, i, depth);
            case Code.Mov_r64_rm64 when ins.Op1Kind == OpKind.Memory:
                if (IsStackSlot(ins) && ResolveSlot(ins, i, depth) is { } spilled) return spilled;
                var address = AddressOf(ins, i, depth);
                return address.Root is UnknownRoot ? new(new OpaqueRoot(ins.IP), 0) : new(new LoadRoot(address), 0);
            case Code.Mov_r32_imm32:
                return new(AbsoluteRoot.Instance, ins.Immediate32);
            case Code.Mov_rm64_imm32 when ins.Op0Kind == OpKind.Register:
                return new(AbsoluteRoot.Instance, ins.Immediate32to64);
            case Code.Mov_r64_imm64:
                return new(AbsoluteRoot.Instance, (long)ins.Immediate64);
            default:
                return new(new OpaqueRoot(ins.IP), 0);
        }
    }

    /// <summary>A reload from the stack: the value last stored to that slot on every path (null: not a spill slot).</summary>
    Value? ResolveSlot(in Instruction load, int at, int depth)
    {
        var (b, d) = (load.MemoryBase, (long)load.MemoryDisplacement64);
        Value? found = null;
        bool agree = true;
        Walk(at, i =>
        {
            ref readonly var ins = ref _code[i];
            if (ins.Op0Kind != OpKind.Memory || ins.MemoryBase != b || (long)ins.MemoryDisplacement64 != d) return false;
            var v = ins.Code == Code.Mov_rm64_r64 ? ResolveRegister(ins.Op1Register, i, depth + 1) : Unknown;
            if (found is null) found = v; else if (found != v) agree = false;
            return true;
        }, () => agree = false);
        return agree ? found : null;
    }

    static bool IsStackSlot(in Instruction ins) =>
        ins.MemoryBase is Iced.Intel.Register.RSP or Iced.Intel.Register.RBP && ins.MemoryIndex == Iced.Intel.Register.None;

    Value AddressOf(in Instruction ins, int at, int depth)
    {
        if (ins.IsIPRelativeMemoryOperand) return new(AbsoluteRoot.Instance, (long)ins.IPRelativeMemoryAddress);
        if (ins.MemoryIndex != Iced.Intel.Register.None || ins.MemorySegment is Iced.Intel.Register.FS or Iced.Intel.Register.GS)
            return Unknown;
        long disp = (long)ins.MemoryDisplacement64;
        if (ins.MemoryBase == Iced.Intel.Register.None) return new(AbsoluteRoot.Instance, disp);
        var b = ResolveRegister(ins.MemoryBase.GetFullRegister(), at, depth);
        return b with { Disp = b.Disp + disp };
    }

    readonly InstructionInfoFactory _info = new(); // not thread-safe: one per resolver

    bool Writes(in Instruction ins, Register full)
    {
        // A call keeps every register a compiler relies on afterwards but its result (see the class comment).
        if (ins.FlowControl is FlowControl.Call or FlowControl.IndirectCall) return full == Iced.Intel.Register.RAX;
        if (ins.Op0Kind == OpKind.Register && ins.Op0Register.GetFullRegister() == full && ins.Mnemonic is not (Mnemonic.Cmp or Mnemonic.Test))
            return true;
        foreach (var r in _info.GetInfo(ins).GetUsedRegisters())
            if (r.Register.GetFullRegister() == full && r.Access is OpAccess.Write or OpAccess.CondWrite or OpAccess.ReadWrite or OpAccess.ReadCondWrite)
                return true;
        return false;
    }
}
