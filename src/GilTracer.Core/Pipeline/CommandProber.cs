using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using GilTracer.Core.Probe;
using GilTracer.Core.Record;

namespace GilTracer.Core.Pipeline;

/// <summary>
/// `run -- COMMAND`: probes every Python of the command's process tree before it runs, one GIL per process. A build
/// (the file holding the GIL code, by device and inode: uprobes belong to a file) is located once and gets one uprobe
/// group; a process is recorded by the perf of each build it inherited from the process that started it (perf follows
/// children), so a process that execs a build nobody above it records is held at its exec while a perf for that build
/// starts on it (<see cref="TaskRecorder"/>). Executables are classified once (<see cref="PythonImage"/>); a shared
/// build is held through its loader until its libpython is mapped. Runs on the tracer's thread; perf processes are
/// started on the pipeline's thread (<paramref name="onPipelineThread"/>), never as children of the tracing thread.
/// </summary>
sealed class CommandProber(RunOptions o, LocateOptions locate, PipelineEvents ev, Func<Func<TaskRecorder>, TaskRecorder> onPipelineThread,
    string siteDir) : IProcessTreeObserver, IDisposable
{
    /// <summary>One file holding GIL code: located and probed, or refused (said once).</summary>
    sealed record Build(MappedFileResolver.FileId Id, PythonTarget? Target, UprobeGroup? Group);

    readonly Dictionary<MappedFileResolver.FileId, PythonImage> _images = new();
    readonly Dictionary<MappedFileResolver.FileId, Build> _builds = new();
    readonly Dictionary<string, PythonTarget> _byBuildId = new();
    readonly Dictionary<int, HashSet<MappedFileResolver.FileId>> _covered = new();
    readonly List<TaskRecorder> _recorders = new();
    readonly List<string> _warnings = new();
    readonly string? _ourPidNamespace = MappedFileResolver.ReadLink("/proc/self/ns/pid");
    readonly Dictionary<int, int> _innerPid = new();          // process in another PID namespace → its pid there
    readonly Dictionary<(int, int), int> _hostTids = new();   // (pid, tid) as seen there → host tid
    readonly List<string> _unnamed = new();                   // Pythons whose threads keep their kernel names
    readonly List<(int Pid, PythonTarget Target)> _pythons = new();
    readonly HashSet<string> _refusals = new();

    public IReadOnlyList<string> Warnings => _warnings;
    public IReadOnlyList<TaskRecorder> Recorders => _recorders;
    /// <summary>Every process that ran a Python traced, with its build, in the order found.</summary>
    public IReadOnlyList<(int Pid, PythonTarget Target)> Pythons => _pythons;
    public IReadOnlyList<PythonTarget> Builds => _builds.Values.Where(b => b.Target is not null).Select(b => b.Target!).ToList();

    /// <summary>
    /// Before the command runs: the build of the program it names, when that can be told (<see cref="CommandResolver"/>),
    /// probed now so that its processes start recorded without a hold. Returns the builds to record from the start.
    /// </summary>
    public List<MappedFileResolver.FileId> Prepare(ResolvedProgram? program, IEnumerable<string> childPythons)
    {
        var found = new List<MappedFileResolver.FileId>();
        var candidates = new List<ResolvedProgram>();
        if (program is not null) candidates.Add(program);
        foreach (var c in childPythons)
            if (CommandResolver.Which(c, "/", Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin", Directory.GetCurrentDirectory()) is { } p)
                candidates.Add(new ResolvedProgram(p, "/", p, []));
        foreach (var candidate in candidates)
        {
            var gil = candidate.GilBinary(PythonImage.Of(candidate.HostPath), Environment.GetEnvironmentVariable("LD_LIBRARY_PATH"));
            if (gil is null || MappedFileResolver.Identify(gil) is not { } id) continue;
            if (!_builds.TryGetValue(id, out var build))
            {
                build = Probe(id, () => ProcessLocator.LocateFile(gil, locate.InRoot(candidate.Root), _byBuildId) with { Executable = candidate.HostPath });
                if (build.Target is not null) ev.Verbose?.Invoke($"before the run: {ProbedRecording.Describe(build.Target)}");
            }
            if (build.Group is not null && !found.Contains(id)) found.Add(id);
        }
        return found;
    }

    /// <summary>The uprobe selectors of these builds (for the recording of the command's first process).</summary>
    public List<string> Selectors(IEnumerable<MappedFileResolver.FileId> ids) => ids.Select(id => _builds[id].Group!.Selector).ToList();

    /// <summary>The command's first process starts recorded for these builds.</summary>
    public void Started(int pid, TaskRecorder? recorder, IEnumerable<MappedFileResolver.FileId> ids)
    {
        _covered[pid] = ids.ToHashSet();
        if (recorder is not null) _recorders.Add(recorder);
    }

    public void OnProcessStart(int parentPid, int pid)
    {
        _covered[pid] = _covered.TryGetValue(parentPid, out var inherited) ? new(inherited) : [];
        if (_innerPid.ContainsKey(parentPid) || MappedFileResolver.ReadLink($"/proc/{pid}/ns/pid") is { } ns && ns != _ourPidNamespace)
            NoteNamespaceIds(pid, pid);
    }

    public void OnThreadStart(int pid, int tid)
    {
        if (_innerPid.ContainsKey(pid)) NoteNamespaceIds(pid, tid);
    }

    public ExecVerdict OnExec(int pid)
    {
        if (MappedFileResolver.Identify($"/proc/{pid}/exe") is not { } exe) return ExecVerdict.Continue;
        if (!_images.TryGetValue(exe, out var image)) _images[exe] = image = PythonImage.Of($"/proc/{pid}/exe");
        switch (image.Kind)
        {
            case PythonImageKind.Static:
                Found(pid);
                return ExecVerdict.Continue;
            case PythonImageKind.Shared:
                return ExecVerdict.WatchMappings; // its libpython is mapped by its loader, which has not run yet
            default:
                return ExecVerdict.Continue;
        }
    }

    public bool OnMapped(int pid)
    {
        var maps = Read($"/proc/{pid}/maps");
        if (maps is null || !MappedRegion.Parse(maps).Any(r => PythonImage.IsLibPython(Path.GetFileName(r.Path)))) return false;
        Found(pid);
        return true;
    }

    /// <summary>A process about to run a Python: its build probed (once) and recorded in it unless inherited.</summary>
    void Found(int pid)
    {
        var maps = Read($"/proc/{pid}/maps");
        var exe = MappedFileResolver.Identify($"/proc/{pid}/exe");
        if (maps is null || exe is null) return;
        var regions = MappedRegion.Parse(maps);
        var region = regions.FirstOrDefault(r => PythonImage.IsLibPython(Path.GetFileName(r.Path)))
                     ?? regions.FirstOrDefault(r => new MappedFileResolver.FileId(r.DevMajor, r.DevMinor, r.Inode) == exe);
        if (region is null) return;
        var id = new MappedFileResolver.FileId(region.DevMajor, region.DevMinor, region.Inode);
        var comm = Read($"/proc/{pid}/comm")?.Trim() ?? "?";
        var held = System.Diagnostics.Stopwatch.StartNew();
        if (!_builds.TryGetValue(id, out var build))
        {
            build = Probe(id, () => ProcessLocator.Locate(pid, locate, _byBuildId));
            if (build.Target is not null) ev.Verbose?.Invoke($"process {pid} exec'd: {ProbedRecording.Describe(build.Target)} (located in {held.ElapsedMilliseconds} ms)");
        }
        if (build.Target is null || build.Group is null) return;
        _pythons.Add((pid, build.Target));
        NoteNames(pid, comm, build.Target);
        var covered = _covered.TryGetValue(pid, out var c) ? c : _covered[pid] = [];
        if (!covered.Add(id)) return;
        var file = _recorders.Count == 0 ? o.Outputs.PerfDataPath : Path.Combine(o.Outputs.OutputDir, $"perf-{pid}.data");
        try
        {
            _recorders.Add(onPipelineThread(() => TaskRecorder.Start(pid, [build.Group.Selector], file, o.MmapPages, ev.Verbose)));
            ev.Verbose?.Invoke($"process {pid} ({comm}) held {held.ElapsedMilliseconds} ms at its exec until its perf recorded");
        }
        catch (GilTracerException e)
        {
            covered.Remove(id);
            _warnings.Add($"process {pid} ({comm}) ran {build.Target.Executable}, which could not be recorded: {e.Message}");
        }
    }

    /// <summary>Locates a build and creates its uprobe group; a build that cannot be traced is said once (the locator's
    /// message names the file or the process).</summary>
    Build Probe(MappedFileResolver.FileId id, Func<PythonTarget> find)
    {
        Build build;
        try
        {
            var target = find();
            foreach (var w in target.Warnings) _warnings.Add(w);
            build = new Build(id, target, UprobeGroup.Create(target.Sites));
        }
        catch (GilTracerException e)
        {
            if (_refusals.Add(e.Message)) _warnings.Add($"not traced: {e.Message}");
            build = new Build(id, null, null);
        }
        _builds[id] = build;
        return build;
    }

    /// <summary>
    /// Where the thread-name hook (our site folder on PYTHONPATH) cannot reach — another root, where nothing of ours is
    /// written — threads keep their kernel names: 3.14+ gives OS threads their threading names, 3.13 and older leave
    /// the process's name on every thread (told apart by tid), which is said once.
    /// </summary>
    void NoteNames(int pid, string comm, PythonTarget target)
    {
        if (BootstrapFiles.SiteVisibleFrom($"/proc/{pid}/root", siteDir) || target.NamesOsThreads) return;
        var root = MappedFileResolver.ReadLink($"/proc/{pid}/root") ?? "?";
        var item = $"{comm} (process {pid}{(root == "/" ? "" : ", root " + root)})";
        if (_unnamed.Count == 0)
            _warnings.Add($"threads of {item} are named by the kernel ({comm}) and told apart by tid: {BootstrapFiles.UnreachedHookReason}");
        _unnamed.Add(item);
    }

    /// <summary>A task in another PID namespace: its ids there (NSpid: host first, innermost last), for the names its Python writes.</summary>
    void NoteNamespaceIds(int pid, int tid)
    {
        var status = Read($"/proc/{tid}/status");
        var line = status?.Split('\n').FirstOrDefault(l => l.StartsWith("NSpid:", StringComparison.Ordinal));
        var ids = line?["NSpid:".Length..].Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
        if (ids is not { Length: > 1 } || !int.TryParse(ids[^1], out int inner)) return;
        if (tid == pid) _innerPid[pid] = inner;
        _hostTids[(_innerPid.GetValueOrDefault(pid, pid), inner)] = tid;
    }

    /// <summary>Thread names as the Pythons wrote them (their own pid and tid), by host tid.</summary>
    public Dictionary<int, string> HostNames(IEnumerable<(int Pid, int Tid, string Name)> entries)
    {
        var names = new Dictionary<int, string>();
        foreach (var (pid, tid, name) in entries) names[_hostTids.GetValueOrDefault((pid, tid), tid)] = name;
        return names;
    }

    static string? Read(string path)
    {
        try { return File.ReadAllText(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>Stops every perf (those whose processes all ended have stopped already), then removes the probes.</summary>
    public void Dispose()
    {
        foreach (var r in _recorders) r.Dispose();
        foreach (var b in _builds.Values) b.Group?.Dispose();
    }
}
