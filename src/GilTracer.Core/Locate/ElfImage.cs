using System.Buffers.Binary;
using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using ELFSharp.ELF.Segments;
using GilTracer.Core.Model;

namespace GilTracer.Core.Locate;

/// <summary>A section header: where it lives in memory and in the file.</summary>
public sealed record ElfSection(string Name, SectionType Type, ulong Address, ulong Offset, ulong Size, bool Executable);

/// <summary>DT_NEEDED names, DT_RPATH and DT_RUNPATH (the loader ignores RPATH when RUNPATH is present).</summary>
public sealed record ElfDynamic(IReadOnlyList<string> Needed, string? RPath, string? RunPath);

/// <summary>A symbol of .symtab or .dynsym (Index is its position in its table, which relocations refer to).</summary>
public sealed record ElfSymbol(string Name, ulong Value, ulong Size, SymbolType Type, bool Dynamic, int Index);

/// <summary>
/// An x86-64 ELF file read once into memory (ELFSharp parses the headers and symbol tables): sections, symbols,
/// loadable segments (vaddr → file offset for uprobes), the build-id and .gnu_debuglink. Anything that is not a
/// 64-bit x86-64 ELF file is refused with one line.
/// </summary>
public sealed class ElfImage
{
    readonly List<(ulong Vaddr, ulong Size, ulong Offset)> _loads = new();

    public string Path { get; }
    public byte[] Bytes { get; }
    public IReadOnlyList<ElfSection> Sections { get; }
    public IReadOnlyList<ElfSymbol> Symbols { get; }
    public bool HasSymtab => Sections.Any(s => s.Type == SectionType.SymbolTable);

    ElfImage(string path, byte[] bytes, IELF elf)
    {
        Path = path;
        Bytes = bytes;
        Sections = elf.Sections.OfType<Section<ulong>>()
            .Select(s => new ElfSection(s.Name ?? "", s.Type, s.LoadAddress, s.Offset, s.Size, (s.Flags & SectionFlags.Executable) != 0))
            .ToList();
        var symbols = new List<ElfSymbol>();
        foreach (var table in elf.Sections.OfType<SymbolTable<ulong>>())
        {
            bool dynamic = table.Type == SectionType.DynamicSymbolTable;
            int i = 0;
            foreach (var e in table.Entries)
            {
                symbols.Add(new ElfSymbol(e.Name ?? "", e.Value, e.Size, e.Type, dynamic, i)); // names of a damaged string table: null
                i++;
            }
        }
        Symbols = symbols;
        foreach (var seg in elf.Segments.OfType<Segment<ulong>>())
            if (seg.Type == SegmentType.Load) _loads.Add((seg.Address, (ulong)seg.FileSize, (ulong)seg.Offset));
        // Binaries may come from a process's root (untrusted): every range read later must lie inside the file.
        ulong length = (ulong)bytes.LongLength;
        foreach (var s in Sections)
            if (s.Type != SectionType.NoBits && (s.Offset > length || s.Size > length - s.Offset))
                throw new GilTracerException($"{path} is a damaged ELF file: its section {(s.Name.Length > 0 ? s.Name : "?")} lies past the end of the file ({bytes.Length} bytes)");
        foreach (var (a, size, off) in _loads)
            if (off > length || size > length - off || a + size < a)
                throw new GilTracerException($"{path} is a damaged ELF file: a loadable segment lies past the end of the file ({bytes.Length} bytes)");
    }

    /// <summary>Loads and checks the file: ELF, 64-bit, x86-64; otherwise one clear line.</summary>
    public static ElfImage Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new GilTracerException($"cannot read {path}: {e.Message}"); }
        if (bytes.Length < 20 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            throw new GilTracerException($"{path} is not an ELF binary; pass --python with a CPython 3.8+ interpreter");
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(18));
        if (bytes[4] != 2 || bytes[5] != 1 || machine != 62)
            throw new GilTracerException($"{path} is built for another architecture ({(bytes[4] == 2 ? "64" : "32")}-bit, ELF machine {machine}); GilTracer probes x86-64 binaries only");
        CheckHeaderTables(path, bytes);
        try
        {
            using var elf = ELFReader.Load<ulong>(new MemoryStream(bytes, writable: false), true);
            return new ElfImage(path, bytes, elf);
        }
        catch (Exception e) when (e is not GilTracerException)
        {
            throw new GilTracerException($"{path} is not a readable ELF file ({e.Message})");
        }
    }

    /// <summary>
    /// ELFSharp trusts the header's tables: an entry size of 0 or a count read from a garbled section 0 makes it loop and
    /// allocate without end (found by fuzzing). The tables must have their entry sizes and lie inside the file.
    /// </summary>
    static void CheckHeaderTables(string path, byte[] b)
    {
        GilTracerException Damaged(string what) => new($"{path} is a damaged ELF file: {what} ({b.Length} bytes)");
        if (b.Length < 64) throw Damaged("its header is cut off");
        ulong length = (ulong)b.Length;
        bool Inside(ulong offset, ulong size) => offset <= length && size <= length - offset;
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(0x20)), shoff = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(0x28));
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x36)), phnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x38));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3a)), shnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3c));
        int shstrndx = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3e));
        // (a program header offset past the end makes ELFSharp loop even when the table is empty)
        if (!Inside(phoff, (ulong)phnum * 56) || phnum > 0 && phentsize != 56 || phnum == 0xffff)
            throw Damaged("its program header table is garbled or lies past the end of the file");
        if (shoff == 0) return;
        if (shentsize != 64 || !Inside(shoff, 64)) throw Damaged("its section header table is garbled or lies past the end of the file");
        // more than 0xff00 sections: the count is section 0's sh_size, the string table's index its sh_link
        ulong count = shnum != 0 ? (ulong)shnum : BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan((int)shoff + 32));
        if (count == 0 || count > length / 64 || !Inside(shoff, count * 64))
            throw Damaged("its section header table is garbled or lies past the end of the file");
        ulong strtab = shstrndx == 0xffff ? BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)shoff + 40)) : (ulong)shstrndx;
        if (strtab >= count) throw Damaged($"its section name table is section {strtab} of {count}");
    }

    public ElfSection? Section(string name) => Sections.FirstOrDefault(s => s.Name == name && s.Type != SectionType.NoBits);

    public ReadOnlySpan<byte> Data(ElfSection s) => Bytes.AsSpan((int)s.Offset, (int)s.Size);

    /// <summary>The file offset of a virtual address (what uprobes take), or null when no PT_LOAD holds it.</summary>
    public ulong? TryFileOffset(ulong vaddr)
    {
        foreach (var (a, size, off) in _loads)
            if (vaddr >= a && vaddr < a + size) return vaddr - a + off;
        return null;
    }

    public ulong FileOffset(ulong vaddr) =>
        TryFileOffset(vaddr) ?? throw new GilTracerException($"address 0x{vaddr:x} is in no loadable segment of {Path}");

    /// <summary>The function symbols named <paramref name="name"/> (exported or local).</summary>
    public ElfSymbol? Function(string name) =>
        Symbols.FirstOrDefault(s => s.Name == name && s.Type == SymbolType.Function && s.Value != 0);

    /// <summary>GNU build-id as lowercase hex (from the .note.gnu.build-id note), or null.</summary>
    public string? BuildId
    {
        get
        {
            foreach (var s in Sections.Where(s => s.Type == SectionType.Note))
            {
                var d = Data(s);
                while (d.Length >= 12)
                {
                    // long: sizes near 2^32 from a damaged note must not wrap around
                    long nameSize = BinaryPrimitives.ReadUInt32LittleEndian(d), descSize = BinaryPrimitives.ReadUInt32LittleEndian(d[4..]);
                    uint type = BinaryPrimitives.ReadUInt32LittleEndian(d[8..]);
                    long nameEnd = 12 + ((nameSize + 3) & ~3L), descEnd = nameEnd + ((descSize + 3) & ~3L);
                    if (descEnd > d.Length) break;
                    if (type == 3 && nameSize == 4 && d.Slice(12, 3).SequenceEqual("GNU"u8))
                        return descSize == 0 ? null : Convert.ToHexStringLower(d.Slice((int)nameEnd, (int)descSize));
                    d = d[(int)descEnd..];
                }
            }
            return null;
        }
    }

    /// <summary>The dynamic section's DT_NEEDED libraries and search paths (':'-separated, $ORIGIN unexpanded): what the
    /// dynamic loader maps before the program runs. Empty for a static binary.</summary>
    public ElfDynamic Dynamic
    {
        get
        {
            var dyn = Sections.FirstOrDefault(s => s.Type == SectionType.Dynamic);
            var strings = Section(".dynstr");
            if (dyn is null || strings is null) return new([], null, null);
            var d = Data(dyn);
            var str = Data(strings);
            static string At(ReadOnlySpan<byte> str, ulong offset)
            {
                if (offset >= (ulong)str.Length) return "";
                var rest = str[(int)offset..];
                int nul = rest.IndexOf((byte)0);
                return System.Text.Encoding.UTF8.GetString(nul < 0 ? rest : rest[..nul]);
            }
            var needed = new List<string>();
            string? rpath = null, runpath = null;
            for (int p = 0; p + 16 <= d.Length; p += 16)
            {
                long tag = BinaryPrimitives.ReadInt64LittleEndian(d[p..]);
                ulong value = BinaryPrimitives.ReadUInt64LittleEndian(d[(p + 8)..]);
                if (tag == 0) break; // DT_NULL
                if (tag == 1) needed.Add(At(str, value));
                else if (tag == 15) rpath = At(str, value);
                else if (tag == 29) runpath = At(str, value);
            }
            return new(needed, rpath, runpath);
        }
    }

    /// <summary>The .gnu_debuglink file name and CRC32, or null.</summary>
    public (string Name, uint Crc)? DebugLink
    {
        get
        {
            var s = Section(".gnu_debuglink");
            if (s is null) return null;
            var d = Data(s);
            int nul = d.IndexOf((byte)0);
            if (nul <= 0) return null;
            int crcAt = (nul + 4) & ~3;
            if (crcAt + 4 > d.Length) return null;
            return (System.Text.Encoding.UTF8.GetString(d[..nul]), BinaryPrimitives.ReadUInt32LittleEndian(d[crcAt..]));
        }
    }
}
