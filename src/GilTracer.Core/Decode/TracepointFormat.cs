using System.Buffers.Text;
using System.Text;

namespace GilTracer.Core.Decode;

/// <summary>One field of a tracepoint's raw record, from its format file.</summary>
public readonly record struct TracepointField(string Name, int Offset, int Size, bool Signed, bool DataLoc);

/// <summary>
/// A tracepoint's format (tracefs events/SYSTEM/NAME/format): its id and where each field sits in the
/// raw sample. perf.data carries these in its TRACING_DATA feature section, so the file is read with
/// the layout of the kernel that recorded it.
/// </summary>
public sealed class TracepointFormat
{
    public string System { get; }
    public string Name { get; }
    public int Id { get; }
    public IReadOnlyList<TracepointField> Fields { get; }

    public TracepointFormat(string system, string name, int id, IReadOnlyList<TracepointField> fields)
    {
        System = system; Name = name; Id = id; Fields = fields;
    }

    public string FullName => System + ":" + Name;

    public TracepointField? Find(string name)
    {
        foreach (var f in Fields) if (f.Name == name) return f;
        return null;
    }

    /// <summary>Parses a format file's text. Returns null when it has no name or ID line.</summary>
    public static TracepointFormat? Parse(string system, ReadOnlySpan<byte> text)
    {
        string? name = null;
        int id = -1;
        var fields = new List<TracepointField>();
        while (!text.IsEmpty)
        {
            int nl = text.IndexOf((byte)'\n');
            var line = nl < 0 ? text : text[..nl];
            text = nl < 0 ? default : text[(nl + 1)..];
            line = line.Trim((byte)'\t').Trim((byte)' ');
            if (line.StartsWith("name:"u8)) name = Encoding.UTF8.GetString(line[5..].Trim((byte)' '));
            else if (line.StartsWith("ID:"u8)) { if (!Utf8Parser.TryParse(line[3..].Trim((byte)' '), out id, out _)) id = -1; }
            else if (line.StartsWith("field:"u8) && ParseField(line) is { } f) fields.Add(f);
        }
        return name is null || id < 0 ? null : new TracepointFormat(system, name, id, fields);
    }

    // "field:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;"
    private static TracepointField? ParseField(ReadOnlySpan<byte> line)
    {
        int semi = line.IndexOf((byte)';');
        if (semi < 0) return null;
        var decl = line[6..semi].TrimEnd((byte)' ');
        int bracket = decl.IndexOf((byte)'[');
        // "char prev_comm[16]" names prev_comm; "__data_loc char[] parent_comm" names parent_comm
        if (bracket >= 0 && decl.LastIndexOf((byte)' ') < bracket) decl = decl[..bracket];
        int space = decl.LastIndexOf((byte)' ');
        var name = space < 0 ? decl : decl[(space + 1)..];
        if (name.IsEmpty) return null;
        bool dataLoc = decl.IndexOf("__data_loc"u8) >= 0;
        int offset = Attribute(line, "offset:"u8), size = Attribute(line, "size:"u8), signedFlag = Attribute(line, "signed:"u8);
        if (offset < 0 || size <= 0) return null;
        return new TracepointField(Encoding.UTF8.GetString(name), offset, size, signedFlag == 1, dataLoc);
    }

    private static int Attribute(ReadOnlySpan<byte> line, ReadOnlySpan<byte> key)
    {
        int i = line.IndexOf(key);
        if (i < 0) return -1;
        return Utf8Parser.TryParse(line[(i + key.Length)..], out int v, out _) ? v : -1;
    }

    /// <summary>Reads the live kernel's format of SYSTEM:NAME from tracefs (fallback when the file has no TRACING_DATA).</summary>
    public static TracepointFormat? FromTracefs(string system, string name)
    {
        foreach (var root in new[] { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" })
        {
            var path = Path.Combine(root, "events", system, name, "format");
            try
            {
                if (File.Exists(path)) return Parse(system, File.ReadAllBytes(path));
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return null;
    }
}
