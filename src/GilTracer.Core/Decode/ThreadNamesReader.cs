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
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                var a = doc.RootElement;
                if (a.ValueKind != JsonValueKind.Array || a.GetArrayLength() < 3) continue;
                names[a[1].GetInt32()] = a[2].GetString() ?? "";
            }
            catch (JsonException) { /* a line cut short by a crash: skip it */ }
        }
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
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                var a = doc.RootElement;
                if (a.ValueKind == JsonValueKind.Array && a.GetArrayLength() >= 3 && a[0].TryGetInt32(out int pid) && pid > 0)
                    pids.Add(pid);
            }
            catch (JsonException) { }
        }
        return pids;
    }
}
