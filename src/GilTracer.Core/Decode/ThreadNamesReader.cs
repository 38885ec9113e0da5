using System.Text;
using System.Text.Json;

namespace GilTracer.Core.Decode;

/// <summary>Reads the bootstrap's thread names: JSON lines [pid, native_id, name]; the last name of a tid wins.</summary>
public static class ThreadNamesReader
{
    public static Dictionary<int, string> Read(string path)
    {
        var names = new Dictionary<int, string>();
        if (!File.Exists(path)) return names;
        foreach (var line in File.ReadLines(path))
            if (TryParse(line) is { } n) names[n.Tid] = n.Name;
        return names;
    }

    /// <summary>Every line as written: [pid, native_id, name], ids as the Python saw them (a PID namespace's own).</summary>
    public static List<(int Pid, int Tid, string Name)> ReadEntries(string path)
    {
        var entries = new List<(int, int, string)>();
        if (!File.Exists(path)) return entries;
        foreach (var line in File.ReadLines(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                var a = doc.RootElement;
                if (a.ValueKind == JsonValueKind.Array && a.GetArrayLength() >= 3 && a[0].TryGetInt32(out int pid) && a[1].TryGetInt32(out int tid))
                    entries.Add((pid, tid, a[2].GetString() ?? ""));
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException) { }
        }
        return entries;
    }

    /// <summary>The pids that reported threads: the traced program's processes (roots of its process tree).</summary>
    public static HashSet<int> ReadProcessIds(string path)
    {
        var pids = new HashSet<int>();
        if (!File.Exists(path)) return pids;
        foreach (var line in File.ReadLines(path))
            if (TryParse(line) is { Pid: > 0 } n) pids.Add(n.Pid);
        return pids;
    }

    public readonly record struct ThreadName(int Pid, int Tid, string Name);

    /// <summary>One line [pid, native_id, name]; null for a line cut short by a crash, or anything else.</summary>
    public static ThreadName? TryParse(string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var a = doc.RootElement;
            if (a.ValueKind != JsonValueKind.Array || a.GetArrayLength() < 3) return null;
            return new ThreadName(a[0].TryGetInt32(out int pid) ? pid : 0, a[1].GetInt32(), a[2].GetString() ?? "");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException) { return null; }
    }
}

/// <summary>
/// Follows a names file while the program writes it (top): each call reads the complete lines added since the last
/// one. A file that shrank was started again: it is read from its beginning.
/// </summary>
public sealed class ThreadNamesTail(string path)
{
    long _offset;

    public List<ThreadNamesReader.ThreadName> ReadNew()
    {
        var names = new List<ThreadNamesReader.ThreadName>();
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            if (f.Length < _offset) _offset = 0;
            if (f.Length == _offset) return names;
            f.Position = _offset;
            var bytes = new byte[Math.Min(f.Length - _offset, 16 << 20)];
            int n = f.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            int end = n == 0 ? -1 : Array.LastIndexOf(bytes, (byte)'\n', n - 1);
            if (end < 0) return names; // no complete line yet
            _offset += end + 1;
            foreach (var line in Encoding.UTF8.GetString(bytes, 0, end).Split('\n'))
                if (ThreadNamesReader.TryParse(line) is { } name) names.Add(name);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException or UnauthorizedAccessException) { }
        return names;
    }
}
