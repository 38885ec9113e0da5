using GilTracer.Core.Model;

namespace GilTracer.Core.Locate;

public enum PythonImageKind
{
    /// <summary>No CPython in it (a shell, coreutils, a script's interpreter that is not Python, not ELF at all).</summary>
    NotPython,
    /// <summary>The GIL code is in the executable itself: it exports the Python API (static builds, Debian's).</summary>
    Static,
    /// <summary>The executable needs a libpython (DT_NEEDED): the GIL code is there, mapped by the dynamic loader.</summary>
    Shared,
}

/// <summary>What an executable is to GilTracer, read from its ELF headers without running it; for a shared build, the
/// libpython it asks the loader for.</summary>
public sealed record PythonImage(PythonImageKind Kind, string? LibPython = null, ElfDynamic? Dynamic = null)
{
    public static readonly PythonImage NotPython = new(PythonImageKind.NotPython);

    /// <summary>Classifies a file (a host path, /proc/PID/exe, …). Anything unreadable or not x86-64 ELF is no Python.</summary>
    public static PythonImage Of(string path)
    {
        ElfImage elf;
        try { elf = ElfImage.Load(path); }
        catch (GilTracerException) { return NotPython; }
        var dynamic = elf.Dynamic;
        var lib = dynamic.Needed.FirstOrDefault(IsLibPython);
        if (lib is not null) return new PythonImage(PythonImageKind.Shared, lib, dynamic);
        return ProcessLocator.ExportsPythonApi(elf) ? new PythonImage(PythonImageKind.Static) : NotPython;
    }

    public static bool IsLibPython(string name) => name.StartsWith("libpython", StringComparison.Ordinal) && name.Contains(".so", StringComparison.Ordinal);

    /// <summary>
    /// The host path of the libpython the dynamic loader would map for this executable (its path inside
    /// <paramref name="root"/> given), searched as ld.so does: DT_RPATH (without DT_RUNPATH), LD_LIBRARY_PATH,
    /// DT_RUNPATH, then the default directories (ld.so.cache is not read: a library only it knows is found when
    /// mapped). $ORIGIN is the executable's folder. Null when not found.
    /// </summary>
    public string? ResolveLibPython(string executableInRoot, string root, string? ldLibraryPath)
    {
        if (Kind != PythonImageKind.Shared || LibPython is null || Dynamic is null) return null;
        var origin = Path.GetDirectoryName(executableInRoot) ?? "/";
        IEnumerable<string> Split(string? list) => (list ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => d.Replace("$ORIGIN", origin).Replace("${ORIGIN}", origin));
        var dirs = (Dynamic.RunPath is null ? Split(Dynamic.RPath) : [])
            .Concat(Split(ldLibraryPath))
            .Concat(Split(Dynamic.RunPath))
            .Concat(["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib", "/usr/local/lib"]);
        foreach (var dir in dirs)
            if (CommandResolver.Resolved(Path.Combine(dir, LibPython), root, "/") is { } host && File.Exists(host)) return host;
        return null;
    }
}
