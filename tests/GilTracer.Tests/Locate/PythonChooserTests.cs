using GilTracer.Core.Locate;
using GilTracer.Tests.Integration;

namespace GilTracer.Tests.Locate;

/// <summary>Which Python run traces: --python, else the environment giltracer is installed in (not pipx's own), else python3 on PATH.</summary>
public class PythonChooserTests
{
    static readonly Func<string, string?> NoEnv = _ => null;

    /// <summary>A venv-like folder ROOT/bin holding giltracer and, when asked, python3 (a link to a real one, as venv makes it).</summary>
    static string Environment(string root, bool python = true)
    {
        var bin = Path.Combine(root, "bin");
        Directory.CreateDirectory(bin);
        File.WriteAllText(Path.Combine(bin, "giltracer"), "");
        if (python) File.CreateSymbolicLink(Path.Combine(bin, "python3"), "/usr/bin/python3");
        return Path.Combine(bin, "giltracer");
    }

    static string OnPath(string name) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).First(File.Exists);

    [Fact]
    public void TheExplicitPythonWinsAndABareNameIsLookedUpOnPath()
    {
        var binary = Environment(Repo.TempDir());
        Assert.Equal("/opt/py/bin/python3.12", PythonChooser.Choose("/opt/py/bin/python3.12", binary, NoEnv));
        Assert.Equal(OnPath("python3"), PythonChooser.Choose("python3", binary, NoEnv));
        Assert.Equal("no-such-python9", PythonChooser.Choose("no-such-python9", binary, NoEnv)); // left for run's own error
    }

    [Fact]
    public void TheEnvironmentTheBinaryIsInstalledInComesNext()
    {
        var binary = Environment(Path.Combine(Repo.TempDir(), "venv"));
        Assert.Equal(Path.Combine(Path.GetDirectoryName(binary)!, "python3"), PythonChooser.Choose(null, binary, NoEnv));
    }

    [Fact]
    public void WithoutPython3BesideTheBinaryItIsPython3OnPath()
    {
        var binary = Environment(Repo.TempDir(), python: false); // a checkout's build, /usr/local/bin, …
        Assert.Equal(OnPath("python3"), PythonChooser.Choose(null, binary, NoEnv));
        Assert.Equal(OnPath("python3"), PythonChooser.Choose(null, null, NoEnv));
    }

    [Fact]
    public void PipxsOwnVenvIsNotTheUsersPython()
    {
        // pipx's marker in the venv's root, wherever PIPX_HOME is
        var marked = Environment(Path.Combine(Repo.TempDir(), "elsewhere", "giltracer"));
        File.WriteAllText(Path.Combine(marked, "..", "..", "pipx_metadata.json"), "{}");
        Assert.Equal(OnPath("python3"), PythonChooser.Choose(null, marked, NoEnv));

        // and, without the marker, a venv under PIPX_HOME/venvs or the default homes
        var home = Repo.TempDir();
        foreach (var (pipxHome, env) in new (string, Func<string, string?>)[]
                 {
                     (Path.Combine(home, "custom"), v => v == "PIPX_HOME" ? Path.Combine(home, "custom") : null),
                     (Path.Combine(home, ".local", "pipx"), v => v == "HOME" ? home : null),
                     (Path.Combine(home, ".local", "share", "pipx"), v => v == "HOME" ? home : null),
                 })
        {
            var binary = Environment(Path.Combine(pipxHome, "venvs", "giltracer"));
            Assert.Equal(OnPath("python3"), PythonChooser.Choose(null, binary, env));
            Assert.Equal(Path.Combine(Path.GetDirectoryName(binary)!, "python3"), PythonChooser.Choose(null, binary, NoEnv)); // without HOME or PIPX_HOME the folder alone says nothing
        }
    }
}
