using ELFSharp.ELF.Sections;

namespace GilTracer.Core.Locate;

/// <summary>A function symbol with its file offset (what uprobes want) and size.</summary>
public sealed record ElfFunction(string Name, ulong Address, ulong FileOffset, ulong Size);

/// <summary>Reads function symbols of an ELF file (.symtab and .dynsym) and converts addresses to file offsets.</summary>
public static class ElfSymbolLocator
{
    /// <summary>
    /// Every function symbol of <paramref name="symbols"/> named <paramref name="name"/> or a compiler clone of it
    /// (name.constprop.0, name.isra.0, name.lto_priv.0 …), but not split-off .cold parts, which are jumped into
    /// from the middle of the function and are no entry. Offsets are computed in <paramref name="code"/>, the
    /// binary that is probed (a separate debug file has the same addresses but no code).
    /// </summary>
    public static List<ElfFunction> FindFunctionAndClones(ElfImage symbols, ElfImage code, string name)
    {
        var found = new List<ElfFunction>();
        foreach (var s in symbols.Symbols)
        {
            if (s.Type != SymbolType.Function || s.Value == 0) continue;
            if (s.Name != name && !s.Name.StartsWith(name + ".", StringComparison.Ordinal)) continue;
            if (s.Name.Contains(".cold", StringComparison.Ordinal) || found.Any(f => f.Address == s.Value)) continue;
            found.Add(new ElfFunction(s.Name, s.Value, code.FileOffset(s.Value), s.Size));
        }
        return found;
    }

    public static List<ElfFunction> FindFunctionAndClones(string path, string name)
    {
        var elf = ElfImage.Load(path);
        return FindFunctionAndClones(elf, elf, name);
    }
}
