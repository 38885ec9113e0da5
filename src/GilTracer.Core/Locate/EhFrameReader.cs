using System.Buffers.Binary;
using GilTracer.Core.Model;

namespace GilTracer.Core.Locate;

/// <summary>A function's code range [Start, End) as an .eh_frame FDE describes it.</summary>
public readonly record struct CodeRange(ulong Start, ulong End)
{
    public bool Contains(ulong a) => a >= Start && a < End;
}

/// <summary>
/// Function bounds of a stripped binary: every FDE of .eh_frame names the start and length of one function (or of
/// one of its split-off .cold parts). Stripping removes symbols but never unwind tables.
/// </summary>
public static class EhFrameReader
{
    const byte DW_EH_PE_omit = 0xff, DW_EH_PE_pcrel = 0x10;

    public static List<CodeRange> ReadFunctions(ElfImage elf)
    {
        var ranges = new List<CodeRange>();
        var sec = elf.Section(".eh_frame");
        if (sec is null) return ranges;
        var d = elf.Data(sec);
        var fdeEncodings = new Dictionary<int, byte>();
        int pos = 0;
        while (pos + 4 <= d.Length)
        {
            int start = pos;
            ulong length = BinaryPrimitives.ReadUInt32LittleEndian(d[pos..]);
            pos += 4;
            if (length == 0) continue; // terminator (or padding between objects' tables)
            if (length == 0xffffffff)
            {
                if (pos + 8 > d.Length) break;
                length = BinaryPrimitives.ReadUInt64LittleEndian(d[pos..]);
                pos += 8;
            }
            if (length > (ulong)(d.Length - pos)) break;
            int idAt = pos, next = pos + (int)length;
            if (next - pos < 4) break;
            // a record's fields are read within it: one that runs past its end is damage, said in one line
            var rec = d[..next];
            try
            {
                uint id = BinaryPrimitives.ReadUInt32LittleEndian(rec[pos..]);
                pos += 4;
                if (id == 0) fdeEncodings[start] = CieFdeEncoding(rec[pos..]);
                else
                {
                    int cie = idAt - (int)id;
                    byte enc = fdeEncodings.TryGetValue(cie, out var e) ? e : (byte)0;
                    ulong fieldAddr = sec.Address + (ulong)pos;
                    ulong begin = ReadEncoded(rec, ref pos, enc, fieldAddr);
                    ulong size = ReadEncoded(rec, ref pos, (byte)(enc & 0x0f), 0);
                    if (begin != 0 && size != 0 && begin + size > begin) ranges.Add(new CodeRange(begin, begin + size));
                }
            }
            catch (Exception ex) when (ex is ArgumentOutOfRangeException or IndexOutOfRangeException)
            {
                throw new GilTracerException($"{elf.Path} is a damaged ELF file: its .eh_frame record at offset {start} runs past its end");
            }
            pos = next;
        }
        ranges.Sort((a, b) => a.Start.CompareTo(b.Start));
        return ranges;
    }

    /// <summary>The pointer encoding of FDEs under this CIE ('R' in a "z…" augmentation), absptr otherwise.</summary>
    static byte CieFdeEncoding(ReadOnlySpan<byte> d)
    {
        int p = 1; // version
        int nul = d[p..].IndexOf((byte)0);
        if (nul < 0) return 0;
        var aug = d.Slice(p, nul);
        p += nul + 1;
        if (aug.Length == 0 || aug[0] != (byte)'z') return 0;
        ReadUleb(d, ref p); // code alignment
        ReadUleb(d, ref p); // data alignment (sleb, same length)
        if (d[0] == 1) p++; else ReadUleb(d, ref p); // return address register
        ReadUleb(d, ref p); // augmentation data length
        foreach (var c in aug[1..])
        {
            switch ((char)c)
            {
                case 'R': return d[p];
                case 'L': p++; break;
                case 'P':
                    byte penc = d[p++];
                    ulong ignored = ReadEncoded(d, ref p, (byte)(penc & 0x0f), 0);
                    break;
                case 'S': case 'B': break;
                default: return 0;
            }
        }
        return 0;
    }

    static ulong ReadEncoded(ReadOnlySpan<byte> d, ref int p, byte enc, ulong fieldAddr)
    {
        if (enc == DW_EH_PE_omit) return 0;
        long v;
        switch (enc & 0x0f)
        {
            case 0x00: v = (long)BinaryPrimitives.ReadUInt64LittleEndian(d[p..]); p += 8; break;
            case 0x01: v = (long)ReadUleb(d, ref p); break;
            case 0x02: v = BinaryPrimitives.ReadUInt16LittleEndian(d[p..]); p += 2; break;
            case 0x03: v = BinaryPrimitives.ReadUInt32LittleEndian(d[p..]); p += 4; break;
            case 0x04: v = (long)BinaryPrimitives.ReadUInt64LittleEndian(d[p..]); p += 8; break;
            case 0x0a: v = BinaryPrimitives.ReadInt16LittleEndian(d[p..]); p += 2; break;
            case 0x0b: v = BinaryPrimitives.ReadInt32LittleEndian(d[p..]); p += 4; break;
            case 0x0c: v = BinaryPrimitives.ReadInt64LittleEndian(d[p..]); p += 8; break;
            default: return 0;
        }
        if ((enc & 0x70) == DW_EH_PE_pcrel) v += (long)fieldAddr;
        return (ulong)v;
    }

    static ulong ReadUleb(ReadOnlySpan<byte> d, ref int p)
    {
        ulong result = 0;
        int shift = 0;
        while (p < d.Length)
        {
            byte b = d[p++];
            result |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) break;
            shift += 7;
        }
        return result;
    }
}
