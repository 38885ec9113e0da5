using GilTracer.Core.Model;

namespace GilTracer.Core.Locate;

/// <summary>
/// Finds the GIL code of a running process (attach): the libpython it maps, or its executable for static builds,
/// read from /proc/PID/maps and opened through the process's own view (<see cref="MappedFileResolver"/>), so that
/// chrooted and containerised processes work too. Nothing is run: the version and free-threading come from the
/// file names CPython installs (libpython3.13t.so, python3.13t). A process's binaries are untrusted input: a damaged
/// one gives one line, never a crash.
/// </summary>
public static class ProcessLocator
{
    /// <summary>
    /// The GIL code of process <paramref name="pid"/>. With <paramref name="byBuildId"/> (one per run), a binary
    /// already located for another process (the same build, wherever it lies) is not read again: its sites are
    /// re-pointed at this process's copy.
    /// </summary>
    public static PythonTarget Locate(int pid, LocateOptions? options = null, Dictionary<string, PythonTarget>? byBuildId = null)
    {
        var proc = $"/proc/{pid}";
        if (pid <= 0 || !Directory.Exists(proc)) throw new GilTracerException($"no process with pid {pid}");
        var comm = ReadOrNull($"{proc}/comm")?.Trim() ?? "?";
        string maps;
        try { maps = File.ReadAllText($"{proc}/maps"); }
        catch (UnauthorizedAccessException) { throw new GilTracerException($"no permission to read {proc}/maps of process {pid} ({comm}): run giltracer as root (or with sudo)"); }
        catch (IOException) { throw new GilTracerException($"no process with pid {pid} (it exited)"); }
        if (maps.Length == 0) throw new GilTracerException($"process {pid} ({comm}) is not running Python: it maps no files (a kernel thread?)");

        string exe = ReadLinkOrNull($"{proc}/exe") ?? "";
        var regions = MappedRegion.Parse(maps);
        var files = regions.Select(r => r.Path).Distinct().ToList();
        var region = regions.FirstOrDefault(r => IsLibPython(Path.GetFileName(r.Path))) ?? regions.FirstOrDefault(r => r.Path == exe);
        bool shared = region is not null && IsLibPython(Path.GetFileName(region.Path));
        if (region is null)
            throw new GilTracerException(exe.Length == 0
                ? $"process {pid} ({comm}) is not running Python: its executable is unknown"
                : $"process {pid} ({comm}) is not running Python: no libpython mapped and its executable {exe} is not mapped");
        var inProcess = region.Path;
        if (inProcess.EndsWith(" (deleted)", StringComparison.Ordinal))
            throw new GilTracerException($"process {pid} ({comm}) runs {inProcess[..^10]}, which was deleted or replaced since it started: uprobes need the file it really runs; restart the process");

        var version = VersionFromName(Path.GetFileName(inProcess)) ?? VersionFromName(Path.GetFileName(exe));
        CheckVersion(version, Path.GetFileName(inProcess), $"process {pid} ({comm}) runs");
        var file = MappedFileResolver.Resolve(pid, region)
            ?? throw new GilTracerException($"cannot open {inProcess}, the Python binary of process {pid} ({comm}): neither its path, nor {proc}/root, nor {proc}/map_files lead to the file it maps (run giltracer as root)");
        var where = file.ProcessPath == inProcess ? inProcess : $"{file.ProcessPath} (in the root of process {pid}: {inProcess})";
        // A debug file installed inside the process's root counts as a local one (gdb's sysroot).
        var o = options ?? new LocateOptions();
        if (file.ProcessPath != file.Path) o = o.InRoot($"{proc}/root");
        var target = LocateBinary(file.Path, shared, version, new InterpreterFacts(exe, Shown(version), false, files), o, byBuildId,
            $"{where}, the Python binary of process {pid} ({comm})", $"process {pid} ({comm}) is not running CPython: no libpython mapped and no Python API in {where}");
        return file.Path == inProcess ? target : target with { Notes = [.. target.Notes, $"{where} opened as {file.Path} ({file.Via})"] };
    }

    /// <summary>
    /// A Python binary located without running it, as for a process (doctor --python on a binary that cannot run
    /// here, such as one inside a container's root needing its libraries): a libpython, or an executable that
    /// exports the Python API (static builds); the version from its file name.
    /// </summary>
    public static PythonTarget LocateFile(string path, LocateOptions? options = null, Dictionary<string, PythonTarget>? byBuildId = null)
    {
        if (!File.Exists(path)) throw new GilTracerException($"no file {path}");
        var name = Path.GetFileName(path);
        var version = VersionFromName(name) ?? (new FileInfo(path).ResolveLinkTarget(true)?.Name is { } real ? VersionFromName(real) : null);
        CheckVersion(version, name, $"{path} is");
        bool shared = IsLibPython(name);
        return LocateBinary(path, shared, version, new InterpreterFacts(path, Shown(version), false, []), options ?? new LocateOptions(), byBuildId,
            path, $"{path} is not a CPython binary with the GIL in it: no Python API (a python linked to a shared libpython: give that libpython3.X.so)");
    }

    static PythonTarget LocateBinary(string path, bool shared, NameVersion? version, InterpreterFacts facts, LocateOptions options,
        Dictionary<string, PythonTarget>? byBuildId, string what, string notPython)
    {
        try
        {
            var elf = ElfImage.Load(path);
            if (!shared && !ExportsPythonApi(elf)) throw new GilTracerException(notPython);
            var id = elf.BuildId;
            if (id is not null && byBuildId is not null && byBuildId.TryGetValue(id, out var known))
                return known.GilBinary == path ? known : known with
                {
                    Executable = facts.Executable,
                    GilBinary = path,
                    Sites = known.Sites.Select(s => s with { Binary = path }).ToList(),
                    Notes = [$"same build (build-id {id}) as {known.GilBinary}, located before", .. known.Notes],
                    Warnings = [], // said once, for the first
                };
            var target = PythonLocator.LocateIn(facts, path, shared, options);
            if (target.Sites.Count == 0)
                throw new GilTracerException($"found no take_gil/drop_gil code in {what}; see `giltracer doctor`");
            if (id is not null && byBuildId is not null) byBuildId[id] = target;
            return target;
        }
        catch (Exception e) when (e is not GilTracerException and not OutOfMemoryException)
        {
            // A binary from a process's root is untrusted input: whatever its damage, one line.
            throw new GilTracerException($"{what} is a damaged or unexpected ELF file ({e.GetType().Name}: {e.Message})");
        }
    }

    static void CheckVersion(NameVersion? version, string name, string subject)
    {
        if (version is { FreeThreaded: true })
            throw new GilTracerException($"{subject} a free-threaded Python ({name}, Py_GIL_DISABLED): there is no GIL to trace");
        if (version is { } v && (v.Major < 3 || v.Major == 3 && v.Minor < 8))
            throw new GilTracerException($"{subject} Python {v.Major}.{v.Minor}: GilTracer needs CPython 3.8 or newer");
    }

    static string Shown(NameVersion? version) => version is { } v ? $"{v.Major}.{v.Minor}" : "3";

    /// <summary>The files of /proc/PID/maps, in order of first appearance ("(deleted)" suffix kept).</summary>
    public static List<string> MappedFiles(string maps)
    {
        var files = new List<string>();
        foreach (var line in maps.AsSpan().EnumerateLines())
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            var file = line[slash..].TrimEnd().ToString();
            if (!files.Contains(file)) files.Add(file);
        }
        return files;
    }

    static bool IsLibPython(string name) => name.StartsWith("libpython", StringComparison.Ordinal) && name.Contains(".so", StringComparison.Ordinal);

    public readonly record struct NameVersion(int Major, int Minor, bool FreeThreaded);

    /// <summary>"libpython3.11.so.1.0", "python3.13t", "libpython3.13td.so" → version and the 't' ABI flag; null if the name says nothing.</summary>
    public static NameVersion? VersionFromName(string name)
    {
        var s = name.AsSpan();
        if (s.StartsWith("lib")) s = s[3..];
        if (!s.StartsWith("python")) return null;
        s = s["python".Length..];
        int i = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (i == 0 || i >= s.Length || s[i] != '.' || !int.TryParse(s[..i], out int major)) return null;
        s = s[(i + 1)..];
        i = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) i++;
        if (i == 0 || !int.TryParse(s[..i], out int minor)) return null;
        var flags = s[i..];
        int end = flags.IndexOf('.');
        if (end >= 0) flags = flags[..end];
        return new NameVersion(major, minor, flags.Contains('t'));
    }

    /// <summary>Exported CPython API (survives stripping): tells a stripped Python from a program that is not Python.</summary>
    internal static bool ExportsPythonApi(ElfImage elf) => elf.Symbols.Any(e => e.Value != 0 && e.Name is "Py_Initialize" or "PyEval_RestoreThread");

    static string? ReadOrNull(string path)
    {
        try { return File.ReadAllText(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    static string? ReadLinkOrNull(string path)
    {
        try { return new FileInfo(path).LinkTarget; } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// The host tid of each thread, by its tid inside the innermost PID namespace of the process (the last NSpid
    /// field of /proc/PID/task/TID/status): a Python in a container reports those ids (threading.get_native_id()),
    /// perf the host's. Identity for a process in our namespace; empty when it is gone.
    /// </summary>
    public static Dictionary<int, int> HostTids(int pid)
    {
        var result = new Dictionary<int, int>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var status = ReadOrNull(Path.Combine(dir, "status"));
                var line = status?.Split('\n').FirstOrDefault(l => l.StartsWith("NSpid:", StringComparison.Ordinal));
                var ids = line?["NSpid:".Length..].Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                if (ids is { Length: > 0 } && int.TryParse(ids[0], out int host) && int.TryParse(ids[^1], out int inner))
                    result[inner] = host;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return result;
    }

    /// <summary>Threads of a process and their kernel names (/proc/PID/task/*/comm); empty when it is gone.</summary>
    public static Dictionary<int, string> Threads(int pid)
    {
        var result = new Dictionary<int, string>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories($"/proc/{pid}/task"))
                if (int.TryParse(Path.GetFileName(dir), out int tid))
                    result[tid] = ReadOrNull(Path.Combine(dir, "comm"))?.TrimEnd('\n') ?? "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return result;
    }
}
