using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using ELFSharp.ELF.Segments;

namespace GilTracer.Core.Locate;

/// <summary>A function symbol with its file offset (what uprobes want) and size.</summary>
public sealed record ElfFunction(string Name, ulong Address, ulong FileOffset, ulong Size);

/// <summary>Reads function symbols of an ELF file (.symtab and .dynsym) and converts addresses to file offsets.</summary>
public static class ElfSymbolLocator
{
    /// <summary>All function symbols whose name is <paramref name="name"/> or a compiler clone of it (name.constprop.0, name.isra.0, …).</summary>
    public static List<ElfFunction> FindFunctionAndClones(string path, string name)
    {
        using var elf = ELFReader.Load<ulong>(path);
        var found = new List<ElfFunction>();
        foreach (var table in elf.Sections.OfType<ISymbolTable>())
        {
            foreach (var entry in table.Entries.OfType<SymbolEntry<ulong>>())
            {
                if (entry.Type != SymbolType.Function || entry.Value == 0) continue;
                if (entry.Name != name && !entry.Name.StartsWith(name + ".", StringComparison.Ordinal)) continue;
                if (found.Any(f => f.Address == entry.Value)) continue;
                found.Add(new ElfFunction(entry.Name, entry.Value, ToFileOffset(elf, entry.Value), entry.Size));
            }
        }
        return found;
    }

    /// <summary>uprobes take file offsets: vaddr minus the containing PT_LOAD's vaddr plus its file offset.</summary>
    public static ulong ToFileOffset(IELF elf, ulong vaddr)
    {
        foreach (var seg in elf.Segments.OfType<Segment<ulong>>())
        {
            if (seg.Type != SegmentType.Load) continue;
            if (vaddr >= seg.Address && vaddr < seg.Address + seg.Size)
                return vaddr - seg.Address + (ulong)seg.Offset;
        }
        throw new InvalidDataException($"address 0x{vaddr:x} is in no loadable segment");
    }
}
