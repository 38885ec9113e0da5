using System.Buffers.Binary;
using ELFSharp.ELF.Sections;
using Iced.Intel;

namespace GilTracer.Core.Locate;

/// <summary>
/// Names the imported function a call goes to, in a binary without symbols of its own: `call pthread_cond_signal@plt`
/// (a PLT stub that jumps through a GOT slot) or `call *GOT(%rip)` (-fno-plt). GOT slots are named by the dynamic
/// relocations (JUMP_SLOT, GLOB_DAT), which stripping keeps.
/// </summary>
public sealed class ImportResolver
{
    const uint R_X86_64_GLOB_DAT = 6, R_X86_64_JUMP_SLOT = 7;

    readonly Dictionary<ulong, string> _gotSlots = new();
    readonly Dictionary<ulong, string> _stubs = new();
    readonly List<CodeRange> _pltRanges = new();

    public ImportResolver(ElfImage elf)
    {
        var dynsym = new Dictionary<int, ElfSymbol>();
        foreach (var s in elf.Symbols.Where(s => s.Dynamic)) dynsym.TryAdd(s.Index, s); // a damaged file may have two .dynsym
        foreach (var sec in elf.Sections.Where(s => s.Type == SectionType.RelocationAddends))
        {
            var d = elf.Data(sec);
            for (int p = 0; p + 24 <= d.Length; p += 24)
            {
                ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(d[p..]);
                ulong info = BinaryPrimitives.ReadUInt64LittleEndian(d[(p + 8)..]);
                uint type = (uint)info;
                if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) continue;
                if (dynsym.TryGetValue((int)(info >> 32), out var sym) && sym.Name.Length > 0) _gotSlots[offset] = sym.Name;
            }
        }
        // PLT stubs: each is 16 bytes and holds one `jmp *slot(%rip)` (.plt, .plt.sec, .plt.got).
        foreach (var sec in elf.Sections.Where(s => s.Name.StartsWith(".plt", StringComparison.Ordinal) && s.Type == SectionType.ProgBits))
        {
            _pltRanges.Add(new CodeRange(sec.Address, sec.Address + sec.Size));
            var decoder = Decoder.Create(64, new ByteArrayCodeReader(elf.Bytes, (int)sec.Offset, (int)sec.Size), sec.Address);
            while (decoder.IP < sec.Address + sec.Size)
            {
                decoder.Decode(out var ins);
                if (ins.Mnemonic == Mnemonic.Jmp && ins.Op0Kind == OpKind.Memory && ins.IsIPRelativeMemoryOperand
                    && _gotSlots.TryGetValue(ins.IPRelativeMemoryAddress, out var name))
                    _stubs[ins.IP & ~0xfUL] = name;
            }
        }
    }

    public bool IsPlt(ulong address) => _pltRanges.Any(r => r.Contains(address));

    /// <summary>The imported function a call or jump instruction goes to, or null (a local function, or unknown).</summary>
    public string? Target(in Instruction ins)
    {
        if (ins.Op0Kind is OpKind.NearBranch64 or OpKind.NearBranch32)
            return _stubs.TryGetValue(ins.NearBranchTarget, out var n) ? n : null;
        if (ins.Op0Kind == OpKind.Memory && ins.IsIPRelativeMemoryOperand)
            return _gotSlots.TryGetValue(ins.IPRelativeMemoryAddress, out var m) ? m : null;
        return null;
    }

    public int ImportCount => _gotSlots.Count;
}
