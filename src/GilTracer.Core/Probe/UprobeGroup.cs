using System.Collections.Concurrent;
using GilTracer.Core.Host;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;

namespace GilTracer.Core.Probe;

/// <summary>
/// One run's uprobes, in a group of their own (giltracer_PID_N) written straight to tracefs' uprobe_events,
/// so concurrent runs never collide. Dispose removes them; a process-exit hook removes any group still alive
/// (exceptions, SIGTERM). Groups whose owner process died (SIGKILL) are removed by the next group's creation and by
/// `giltracer probes clean`; never a group whose owner lives, so runs side by side keep theirs.
/// </summary>
public sealed class UprobeGroup : IDisposable
{
    public const string Prefix = "giltracer_";
    static int _counter;
    static readonly ConcurrentDictionary<UprobeGroup, byte> Alive = new();

    static UprobeGroup()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { foreach (var g in Alive.Keys) g.Dispose(); };
    }

    readonly string _eventsFile;
    readonly List<string> _events = new();

    public string Name { get; }
    /// <summary>perf's event selector for every probe of the group.</summary>
    public string Selector => Name + ":*";
    public IReadOnlyList<string> Events => _events;

    UprobeGroup(string name, string eventsFile)
    {
        Name = name;
        _eventsFile = eventsFile;
    }

    /// <summary>Creates one probe per site; on any failure removes what it created and throws.</summary>
    public static UprobeGroup Create(IReadOnlyList<ProbeSite> sites)
    {
        var eventsFile = TraceFs.UprobeEvents;
        try { RemoveStale(); } catch (Exception e) when (e is IOException or UnauthorizedAccessException or GilTracerException) { } // best effort
        var group = new UprobeGroup($"{Prefix}{Environment.ProcessId}_{Interlocked.Increment(ref _counter)}", eventsFile);
        Alive[group] = 0;
        try
        {
            var used = new Dictionary<string, int>();
            foreach (var site in sites)
            {
                var baseName = EventName(site.Kind);
                int n = used.TryGetValue(baseName, out var c) ? c + 1 : 1;
                used[baseName] = n;
                var name = n == 1 ? baseName : $"{baseName}_{n}";
                var type = site.Kind is ProbeSiteKind.TakeGilReturn or ProbeSiteKind.DropGilReturn ? 'r' : 'p';
                WriteCommand(group._eventsFile, $"{type}:{group.Name}/{name} {site.Binary}:0x{site.FileOffset:x}");
                group._events.Add(name);
            }
        }
        catch (Exception e)
        {
            group.Dispose();
            if (e is GilTracerException) throw;
            throw new GilTracerException(e is UnauthorizedAccessException
                ? "no permission to create uprobes: run giltracer as root (or with sudo)"
                : $"cannot create uprobes: {e.Message}", 1, e);
        }
        return group;
    }

    /// <summary>The event name of a site's probe (numbered _2, _3 … when a kind has several sites); GilProbeNames classifies it back.</summary>
    public static string EventName(ProbeSiteKind kind) => kind switch
    {
        ProbeSiteKind.TakeGilEntry => GilProbeNames.TakeGil,
        ProbeSiteKind.TakeGilReturn => GilProbeNames.TakeGilRet,
        ProbeSiteKind.TakeGilAcquire => GilProbeNames.TakeGilAcquire,
        ProbeSiteKind.DropGilEntry => GilProbeNames.DropGil,
        ProbeSiteKind.DropGilReturn => GilProbeNames.DropGilRet,
        ProbeSiteKind.ReleaseSite => GilProbeNames.ReleaseSite,
        ProbeSiteKind.ReleaseStart => GilProbeNames.ReleaseStart,
        ProbeSiteKind.ReleaseEnd => GilProbeNames.ReleaseEnd,
        ProbeSiteKind.HandoverWait => GilProbeNames.HandoverWait,
        ProbeSiteKind.HandoverWaitEnd => GilProbeNames.HandoverWaitEnd,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>One write() per command: tracefs parses each write as one line.</summary>
    static void WriteCommand(string eventsFile, string line)
    {
        using var fs = new FileStream(eventsFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1);
        fs.Write(System.Text.Encoding.UTF8.GetBytes(line + "\n"));
    }

    public void Dispose()
    {
        if (!Alive.TryRemove(this, out _)) return;
        RemoveGroups([Name]);
    }

    /// <summary>Groups of ours currently defined in the kernel, with the pid that created each.</summary>
    public static List<(string Group, int OwnerPid)> ListDefined()
    {
        var result = new List<(string, int)>();
        var dir = TraceFs.TryFind();
        if (dir is null) return result;
        foreach (var line in File.ReadLines(Path.Combine(dir, "uprobe_events")))
        {
            // "p:giltracer_123_1/take_gil /path:0x…"
            int colon = line.IndexOf(':'), slash = line.IndexOf('/');
            if (colon < 0 || slash < colon) continue;
            var group = line[(colon + 1)..slash];
            if (!group.StartsWith(Prefix, StringComparison.Ordinal) || result.Any(r => r.Item1 == group)) continue;
            var pidPart = group[Prefix.Length..].Split('_')[0];
            result.Add((group, int.TryParse(pidPart, out var pid) ? pid : 0));
        }
        return result;
    }

    /// <summary>True when the process that created a group is still running (its probes may be in use).</summary>
    public static bool OwnerAlive(int pid) => pid > 0 && Directory.Exists($"/proc/{pid}");

    /// <summary>Removes our groups whose owner died (or all of ours with <paramref name="all"/>): the groups removed, and
    /// those left because a perf still records from them (the kernel refuses to remove a probe in use).</summary>
    public static (List<string> Removed, List<string> InUse) RemoveStale(bool all = false)
    {
        var stale = ListDefined().Where(g => all || !OwnerAlive(g.OwnerPid)).Select(g => g.Group).ToList();
        var inUse = stale.Count > 0 ? RemoveGroups(stale) : [];
        return (stale.Except(inUse).ToList(), inUse);
    }

    /// <summary>Removes every probe of the named groups (ours only); returns the groups still defined after, in use by a perf.</summary>
    public static List<string> RemoveGroups(IEnumerable<string> groups)
    {
        var dir = TraceFs.Find();
        var file = Path.Combine(dir, "uprobe_events");
        var set = groups.Where(g => g.StartsWith(Prefix, StringComparison.Ordinal)).ToHashSet();
        foreach (var line in File.ReadAllLines(file))
        {
            int colon = line.IndexOf(':'), space = line.IndexOf(' ');
            if (colon < 0 || space < colon) continue;
            var groupAndName = line[(colon + 1)..space];
            if (!set.Contains(groupAndName[..groupAndName.IndexOf('/')])) continue;
            try { WriteCommand(file, $"-:{groupAndName}"); }
            catch (IOException) { /* EBUSY: a perf records from it (told below); or removed meanwhile */ }
        }
        return ListDefined().Select(g => g.Group).Where(set.Contains).ToList();
    }

    /// <summary>The processes whose command line names the group's events (the perf recording from it).</summary>
    public static List<int> Recorders(string group)
    {
        var pids = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Split('\0').Any(a => a.StartsWith(group + ":", StringComparison.Ordinal)))
                    pids.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        return pids;
    }
}
