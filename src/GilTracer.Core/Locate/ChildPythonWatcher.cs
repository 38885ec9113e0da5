namespace GilTracer.Core.Locate;

/// <summary>
/// Watches the processes a run starts (our descendants) for Pythons whose GIL code lives in a binary we did not
/// probe (a child exec'ing another interpreter): their GIL events are not recorded, and the user must be told
/// which, and how to include them (--child-python). Polls /proc every 100 ms, so a child that lives less than
/// that can slip through.
/// </summary>
public sealed class ChildPythonWatcher : IDisposable
{
    readonly HashSet<string> _probed;
    readonly int _root;
    readonly Dictionary<int, string> _seen = new(); // pid → what it ran when first seen (start time guards pid reuse)
    readonly List<(int Pid, string Binary, string Exe)> _unprobed = new();
    readonly string? _perf;
    readonly HashSet<int> _candidates = new();
    readonly Thread _thread;
    volatile bool _stop;

    public ChildPythonWatcher(IEnumerable<string> probedBinaries, int? rootPid = null)
    {
        _probed = probedBinaries.ToHashSet();
        _root = rootPid ?? Environment.ProcessId;
        // perf itself links libpython (its scripting support), and so does its child until it execs the program.
        if (Host.HostFacts.PerfOrNull is { } perf) _perf = Path.GetFullPath(perf);
        _thread = new Thread(Loop) { IsBackground = true, Name = "giltracer-child-watch" };
        _thread.Start();
    }

    /// <summary>Python processes seen running a GIL binary that was not probed, in the order seen.</summary>
    public IReadOnlyList<(int Pid, string Binary, string Exe)> Unprobed
    {
        get { lock (_unprobed) return _unprobed.ToList(); }
    }

    public IEnumerable<string> Warnings() => Unprobed.GroupBy(u => u.Binary).Select(g =>
        $"{(g.Count() == 1 ? "child process " + g.First().Pid : g.Count() + " child processes (" + string.Join(", ", g.Select(u => u.Pid)) + ")")} " +
        $"ran {g.First().Exe} (GIL code in {g.Key}), which was not probed: its GIL is missing from the report; add --child-python {g.First().Exe} to probe it too");

    void Loop()
    {
        while (!_stop)
        {
            try { Scan(); } catch (Exception) { /* /proc entries vanish under us: try again */ }
            for (int i = 0; i < 10 && !_stop; i++) Thread.Sleep(10);
        }
    }

    void Scan()
    {
        var parent = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            var stat = TryRead(Path.Combine(dir, "stat"));
            if (stat is null) continue;
            // "pid (comm) state ppid …": comm may hold anything, so parse after the last ')'.
            int close = stat.LastIndexOf(')');
            var rest = stat[(close + 2)..].Split(' ');
            if (rest.Length > 1 && int.TryParse(rest[1], out int ppid)) parent[pid] = ppid;
        }
        foreach (var pid in parent.Keys)
        {
            if (!IsDescendant(pid, parent)) continue;
            string? exe;
            try { exe = new FileInfo($"/proc/{pid}/exe").LinkTarget; } catch (Exception) { continue; }
            if (exe is null || exe == _perf) continue;
            var binary = GilBinaryOf(pid, exe, out bool byName);
            if (binary is null) continue;
            // Right after exec a shared-library Python has not mapped its libpython yet and looks like a static
            // one by its name: believe the executable only when a later scan still sees no libpython.
            if (byName && !_candidates.Remove(pid)) { _candidates.Add(pid); continue; }
            if (_seen.TryGetValue(pid, out var known) && known == binary) continue;
            _seen[pid] = binary;
            if (!_probed.Contains(binary)) lock (_unprobed) _unprobed.Add((pid, binary, exe));
        }
    }

    bool IsDescendant(int pid, Dictionary<int, int> parent)
    {
        for (int i = 0; i < 64 && parent.TryGetValue(pid, out int p); i++)
        {
            if (p == _root) return true;
            pid = p;
        }
        return false;
    }

    /// <summary>The libpython a process maps, or its executable when that is named like a Python; null otherwise.</summary>
    static string? GilBinaryOf(int pid, string exe, out bool byName)
    {
        byName = false;
        var maps = TryRead($"/proc/{pid}/maps");
        if (maps is null) return null;
        var files = ProcessLocator.MappedFiles(maps);
        var lib = files.FirstOrDefault(f => Path.GetFileName(f).StartsWith("libpython", StringComparison.Ordinal) && f.Contains(".so", StringComparison.Ordinal));
        if (lib is not null) return lib;
        byName = true;
        return ProcessLocator.VersionFromName(Path.GetFileName(exe)) is not null ? exe : null;
    }

    static string? TryRead(string path)
    {
        try { return File.ReadAllText(path); } catch (Exception) { return null; }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
        try { Scan(); } catch (Exception) { }
    }
}
