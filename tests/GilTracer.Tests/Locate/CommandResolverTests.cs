using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using GilTracer.Tests.Integration;

namespace GilTracer.Tests.Locate;

/// <summary>What `run -- COMMAND` resolves before the command runs (no process started): the program, its root, and
/// whether it is a Python (static, or shared with its libpython found as the loader would).</summary>
public class CommandResolverTests
{
    static readonly string SidRoot = SidChroot.Root;

    static string TempDir() => Repo.TempDir();

    static string Script(string dir, string name, string text)
    {
        var p = Path.Combine(dir, name);
        File.WriteAllText(p, text);
        File.SetUnixFileMode(p, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return p;
    }

    [Fact]
    public void APathOrANameOnPath()
    {
        Assert.Equal("/usr/bin/python3.11", CommandResolver.Resolve(["/usr/bin/python3.11", "x.py"])!.HostPath);
        var p = CommandResolver.Resolve(["python3.11", "-c", "pass"], path: "/nonexistent:/usr/bin")!;
        Assert.Equal("/usr/bin/python3.11", p.HostPath);
        Assert.False(p.InOtherRoot);
    }

    [Fact]
    public void ACommandThatIsNotThereIsOneLine()
    {
        var e = Assert.Throws<GilTracerException>(() => CommandResolver.Resolve(["no-such-command-here"], path: "/usr/bin"));
        Assert.Equal("command not found on PATH: no-such-command-here", e.Message);
        Assert.Equal(127, e.ExitCode);
        Assert.Contains("no such file", Assert.Throws<GilTracerException>(() => CommandResolver.Resolve(["./nothing.py"])).Message);
    }

    [Fact]
    public void ShebangsAndEnvAreFollowed()
    {
        var dir = TempDir();
        try
        {
            var direct = Script(dir, "direct.py", "#!/usr/bin/python3.11 -u\nprint(1)\n");
            var viaEnv = Script(dir, "env.py", "#!/usr/bin/env python3.11\nprint(1)\n");
            var viaEnvS = Script(dir, "envs.py", "#!/usr/bin/env -S python3.11 -X dev\nprint(1)\n");
            Assert.Equal("/usr/bin/python3.11", CommandResolver.Resolve([direct])!.HostPath);
            var e = CommandResolver.Resolve([viaEnv], path: "/usr/bin")!;
            Assert.Equal("/usr/bin/python3.11", e.HostPath);
            Assert.Equal(["#!/usr/bin/env python3.11", "env"], e.Steps);
            Assert.Equal("/usr/bin/python3.11", CommandResolver.Resolve([viaEnvS], path: "/usr/bin")!.HostPath);
            // env's own PATH= and options change the lookup as they would at run time
            Assert.Equal("/usr/bin/python3.11", CommandResolver.Resolve(["env", "-u", "X", "A=1", "PATH=/usr/bin", "python3.11"], path: "/nonexistent:/bin")!.HostPath);
            // a shell script is a shell: what it starts is found when it execs
            var shell = CommandResolver.Resolve([Script(dir, "s.sh", "#!/bin/sh\npython3 x\n")])!;
            Assert.Equal(PythonImageKind.NotPython, PythonImage.Of(shell.HostPath).Kind);
            Assert.Equal(["#!/bin/sh"], shell.Steps);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ChrootAndUnshareResolveInsideTheRoot()
    {
        var v = SidChroot.Versions[0];
        foreach (var command in new[]
                 {
                     new[] { "chroot", SidRoot, $"python{v}", "app.py" },
                     ["unshare", "--pid", "--fork", "chroot", SidRoot, $"python{v}", "app.py"],
                     ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc=/proc", "chroot", "--userspec", "0:0", SidRoot, "env", $"python{v}"],
                     ["unshare", "-R", SidRoot, $"/usr/bin/python{v}"],
                 })
        {
            var p = CommandResolver.Resolve(command, path: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin")!;
            Assert.Equal(SidChroot.Python(v), p.HostPath);
            Assert.Equal($"/usr/bin/python{v}", p.PathInRoot);
            Assert.True(p.InOtherRoot);
            Assert.Equal(SidRoot, p.Root);
        }
        Assert.Null(CommandResolver.Resolve(["chroot", SidRoot], path: "/usr/sbin:/usr/bin")); // an interactive shell
    }

    [Fact]
    public void AbsoluteLinksInsideARootStayInIt()
    {
        var root = TempDir();
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "usr/bin"));
            Directory.CreateDirectory(Path.Combine(root, "opt/py/bin"));
            var real = Path.Combine(root, "opt/py/bin/python3.11");
            File.Copy("/usr/bin/python3.11", real);
            // /usr/bin/python3 -> /opt/py/bin/python3.11 means the root's /opt, not the host's
            File.CreateSymbolicLink(Path.Combine(root, "usr/bin/python3"), "/opt/py/bin/python3.11");
            var p = CommandResolver.Resolve(["chroot", root, "python3"], path: "/usr/bin:/usr/sbin")!;
            Assert.Equal(real, p.HostPath);
            Assert.Equal("/opt/py/bin/python3.11", p.PathInRoot);
            Assert.Equal(real, CommandResolver.Resolved("/usr/bin/../bin/python3", root, "/"));
        }
        finally { Directory.Delete(root, true); }
    }

    [Fact]
    public void PythonImagesAreToldFromTheirElfHeaders()
    {
        Assert.Equal(PythonImageKind.Static, PythonImage.Of("/usr/bin/python3.11").Kind);
        Assert.Equal(PythonImageKind.Static, PythonImage.Of(SidChroot.Python(SidChroot.Versions[^1])).Kind);
        Assert.Equal(PythonImageKind.NotPython, PythonImage.Of("/bin/sh").Kind);
        Assert.Equal(PythonImageKind.NotPython, PythonImage.Of(Repo.Example("two_threads.py")).Kind);
        var pyenv = Repo.Pyenv("3.12.1");
        var image = PythonImage.Of(pyenv);
        Assert.Equal(PythonImageKind.Shared, image.Kind);
        Assert.Equal("libpython3.12.so.1.0", image.LibPython);
        // its DT_RUNPATH names pyenv's lib folder: the library the loader maps
        Assert.Equal("/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0", image.ResolveLibPython(pyenv, "/", null));
    }

    [Fact]
    public void ALibPythonIsSearchedInsideTheRootWithOrigin()
    {
        var root = TempDir();
        try
        {
            // a pyenv-like layout inside a root, found through $ORIGIN (the pyenv build's RUNPATH is absolute: rewritten here)
            var lib = Path.Combine(root, "srv/py/lib");
            Directory.CreateDirectory(lib);
            File.Copy("/root/.pyenv/versions/3.12.1/lib/libpython3.12.so.1.0", Path.Combine(lib, "libpython3.12.so.1.0"));
            var image = PythonImage.Of(Repo.Pyenv("3.12.1")) with { Dynamic = new ElfDynamic(["libpython3.12.so.1.0"], null, "$ORIGIN/../lib") };
            Assert.Equal(Path.Combine(lib, "libpython3.12.so.1.0"), image.ResolveLibPython("/srv/py/bin/python3.12", root, null));
            Assert.Null(image.ResolveLibPython("/elsewhere/bin/python3.12", root, null));
            Assert.Equal(Path.Combine(lib, "libpython3.12.so.1.0"), image.ResolveLibPython("/elsewhere/bin/python3.12", root, "/srv/py/lib"));
        }
        finally { Directory.Delete(root, true); }
    }
}
