using GilTracer.Core.Host;

namespace GilTracer.Core.Locate;

/// <summary>
/// Which Python `run` traces and `doctor` checks: --python when given; else the Python of the environment the
/// running giltracer binary is installed in, when its bin/ holds python3 (pip installs the wheel's binary into
/// the venv's bin/), unless that environment is pipx's own venv (pipx's Python is not the user's); else python3
/// on PATH. Names without a slash are looked up on PATH here: .NET would look beside the running binary first,
/// and CPython derives sys.executable from PATH, so a bare name could start one Python and report another.
/// </summary>
public static class PythonChooser
{
    /// <summary>The order, as --help and the README state it.</summary>
    public const string Order =
        "--python; else the Python of the environment giltracer is installed in (the venv whose bin/ holds it and python3; not pipx's own venv); else python3 on PATH";

    public static string Choose(string? python) => Choose(python, Environment.ProcessPath, Environment.GetEnvironmentVariable);

    /// <summary>The interpreter to use; a name that is not found is returned as given, for the caller's error.</summary>
    public static string Choose(string? python, string? binaryPath, Func<string, string?> env)
    {
        if (!string.IsNullOrEmpty(python))
            return python.Contains('/') ? python : HostFacts.FindOnPath(python) ?? python;
        return InstalledEnvironmentPython(binaryPath, env) ?? HostFacts.FindOnPath("python3") ?? "python3";
    }

    /// <summary>BIN/python3 when the binary lives in BIN and BIN/.. is not a venv pipx made for giltracer itself; else null.</summary>
    public static string? InstalledEnvironmentPython(string? binaryPath, Func<string, string?> env)
    {
        var bin = binaryPath is null ? null : Path.GetDirectoryName(Path.GetFullPath(binaryPath));
        if (bin is null) return null;
        var python = Path.Combine(bin, "python3");
        if (!File.Exists(python)) return null;
        var root = Path.GetDirectoryName(bin);
        return root is not null && IsPipxVenv(root, env) ? null : python;
    }

    /// <summary>
    /// pipx writes pipx_metadata.json into the root of every venv it makes (under PIPX_HOME/venvs: ~/.local/pipx
    /// up to pipx 1.2, ~/.local/share/pipx since 1.3, /opt/pipx for --global) and links the apps into ~/.local/bin.
    /// </summary>
    public static bool IsPipxVenv(string venvRoot, Func<string, string?> env)
    {
        if (File.Exists(Path.Combine(venvRoot, "pipx_metadata.json"))) return true;
        var home = env("HOME");
        string?[] pipxHomes =
        [
            env("PIPX_HOME"), env("PIPX_GLOBAL_HOME"), "/opt/pipx",
            home is null ? null : Path.Combine(home, ".local", "pipx"),
            home is null ? null : Path.Combine(home, ".local", "share", "pipx"),
        ];
        var parent = Path.GetDirectoryName(Path.GetFullPath(venvRoot));
        return pipxHomes.Any(h => !string.IsNullOrEmpty(h) && parent == Path.Combine(Path.GetFullPath(h), "venvs"));
    }
}
