using ELFSharp.ELF;
using ELFSharp.ELF.Sections;
using GilTracer.Core.Model;

namespace GilTracer.Core.Locate;

/// <summary>
/// Finds the GIL code of a running process (attach): the libpython it maps, or its executable for static builds,
/// read from /proc/PID/maps and reached through /proc/PID/root so that processes in containers work too.
/// Nothing is run: the version and free-threading come from the file names CPython installs
/// (libpython3.13t.so, python3.13t).
/// </summary>
public static class ProcessLocator
{
    public static PythonTarget Locate(int pid, LocateOptions? options = null)
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
        var files = MappedFiles(maps);
        var lib = files.FirstOrDefault(f => IsLibPython(Path.GetFileName(f)));
        var inProcess = lib ?? files.FirstOrDefault(f => f == exe) ?? exe;
        if (inProcess.Length == 0) throw new GilTracerException($"process {pid} ({comm}) is not running Python: its executable is unknown");
        if (inProcess.EndsWith(" (deleted)", StringComparison.Ordinal))
            throw new GilTracerException($"process {pid} ({comm}) runs {inProcess[..^10]}, which was deleted or replaced since it started: uprobes need the file it really runs; restart the process");

        var version = VersionFromName(Path.GetFileName(inProcess)) ?? VersionFromName(Path.GetFileName(exe));
        if (version is { FreeThreaded: true })
            throw new GilTracerException($"process {pid} ({comm}) runs a free-threaded Python ({Path.GetFileName(inProcess)}, Py_GIL_DISABLED): there is no GIL to trace");
        if (version is { } v && (v.Major < 3 || v.Major == 3 && v.Minor < 8))
            throw new GilTracerException($"process {pid} ({comm}) runs Python {v.Major}.{v.Minor}: GilTracer needs CPython 3.8 or newer");

        // The path as this process (the kernel, when it resolves the uprobe) sees it: through the target's root.
        var root = ReadLinkOrNull($"{proc}/root");
        var binary = root is null or "/" ? inProcess : $"{proc}/root{inProcess}";
        if (!File.Exists(binary)) throw new GilTracerException($"cannot open {binary}, the Python binary of process {pid} ({comm})");

        if (lib is null && !ExportsPythonApi(binary))
            throw new GilTracerException($"process {pid} ({comm}) is not running CPython: no libpython mapped and no Python API in {inProcess}");
        var shown = version is { } vv ? $"{vv.Major}.{vv.Minor}" : "3";
        // Symbols, a debug file, or the stripped-binary heuristic, as for `run`.
        var target = PythonLocator.LocateIn(new InterpreterFacts(exe, shown, false, files), binary, lib is not null, options ?? new LocateOptions());
        if (target.Sites.Count == 0)
            throw new GilTracerException($"found no take_gil/drop_gil code in {inProcess} of process {pid} ({comm}); see `giltracer doctor`");
        return target;
    }

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
    static bool ExportsPythonApi(string path)
    {
        try
        {
            using var elf = ELFReader.Load<ulong>(path);
            return elf.Sections.OfType<ISymbolTable>().Any(t => t.Entries.Any(e => e.Name is "Py_Initialize" or "PyEval_RestoreThread"));
        }
        catch (Exception) { return false; } // not ELF, or not 64-bit: not a Python we can probe anyway
    }

    static string? ReadOrNull(string path)
    {
        try { return File.ReadAllText(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    static string? ReadLinkOrNull(string path)
    {
        try { return new FileInfo(path).LinkTarget; } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
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
