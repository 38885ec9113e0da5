using System.Diagnostics;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using Xunit.Abstractions;

namespace GilTracer.Tests.Locate;

/// <summary>Locating without running the Python (binaries of another root), and one located build serving many processes.</summary>
public class ProcessLocatorTests(ITestOutputHelper output)
{
    static readonly LocateOptions NoDebugInfod = new(Debuginfod: DebuginfodOptions.Off);

    /// <summary>sid's Pythons cannot run on this host (they need sid's glibc): located from their files, by their debug files.</summary>
    [Fact]
    public void SidPythonsAreLocatedFromTheirFilesWithTheirDebugFiles()
    {
        foreach (var v in SidChroot.Versions)
        {
            var t = ProcessLocator.LocateFile(SidChroot.Python(v), new LocateOptions(DebugDirectories: [SidChroot.DebugDir(v)], Debuginfod: DebuginfodOptions.Off));
            output.WriteLine($"python{v}: {t.Method}, {t.DebugFile}, {t.Sites.Count} sites");
            Assert.Equal((v, "debuginfo", false, true), (t.Version, t.Method, t.SharedLibrary, t.Stripped));
            Assert.Equal(Path.Combine(SidChroot.DebugDir(v), ".build-id", SidChroot.BuildId(v)[..2], SidChroot.BuildId(v)[2..] + ".debug"), t.DebugFile);
            Assert.Contains(t.Notes, n => n.Contains(t.DebugFile!));
        }
    }

    [Fact]
    public void FilesAreLocatedByWhatTheyHold()
    {
        var debian = ProcessLocator.LocateFile(PythonInstalls.DebianPython, NoDebugInfod with { DebugDirectories = [] });
        Assert.Equal(("3.11", "heuristic", false, null), (debian.Version, debian.Method, debian.SharedLibrary, debian.DebugFile));
        var lib = ProcessLocator.LocateFile(PythonInstalls.PyenvLibrary("3.11.7"), NoDebugInfod);
        Assert.Equal(("3.11", "symbols", true), (lib.Version, lib.Method, lib.SharedLibrary));
        // A python linked to a shared libpython holds no GIL code itself.
        var e = Assert.Throws<GilTracerException>(() => ProcessLocator.LocateFile(PythonInstalls.PyenvPython("3.11.7"), NoDebugInfod));
        Assert.Contains("give that libpython3.X.so", e.Message);
        Assert.Contains("no file", Assert.Throws<GilTracerException>(() => ProcessLocator.LocateFile("/nonexistent/python3.12")).Message);
    }

    /// <summary>A debug file under the binary's build-id name whose own build-id differs (stale, or planted in a
    /// container's root) is not used.</summary>
    [Fact]
    public void ForeignDebugFileUnderTheRightNameIsIgnored()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"giltracer-debug-{Guid.NewGuid():N}");
        try
        {
            string id = SidChroot.BuildId("3.15"), other = SidChroot.BuildId("3.14");
            var planted = Path.Combine(dir, ".build-id", id[..2], id[2..] + ".debug");
            Directory.CreateDirectory(Path.GetDirectoryName(planted)!);
            File.Copy(Path.Combine(SidChroot.DebugDir("3.14"), ".build-id", other[..2], other[2..] + ".debug"), planted);
            Assert.Null(DebugInfoLocator.Find(ElfImage.Load(SidChroot.Python("3.15")), [dir]));
            Assert.NotNull(DebugInfoLocator.Find(ElfImage.Load(SidChroot.Python("3.15")), [dir, SidChroot.DebugDir("3.15")]));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    /// <summary>Two copies of one build (two files, one build-id): read and searched once, probed in each file.</summary>
    [Fact]
    public void OneBuildIsLocatedOnceForManyProcesses()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"giltracer-copy-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var copy = Path.Combine(dir, "python3.11");
        File.Copy(PythonInstalls.DebianPython, copy);
        File.SetUnixFileMode(copy, (UnixFileMode)0b111_101_101);
        using var a = Sleeper(PythonInstalls.DebianPython);
        using var b = Sleeper(copy);
        try
        {
            var cache = new Dictionary<string, PythonTarget>();
            var first = ProcessLocator.Locate(a.Id, NoDebugInfod, cache);
            var second = ProcessLocator.Locate(b.Id, NoDebugInfod, cache);
            output.WriteLine(string.Join("\n", second.Notes));
            Assert.Single(cache);
            Assert.Equal(PythonInstalls.DebianPython, first.GilBinary);
            Assert.Equal(copy, second.GilBinary);
            Assert.StartsWith("same build (build-id", second.Notes[0]);
            Assert.All(second.Sites, s => Assert.Equal(copy, s.Binary));
            Assert.Equal(first.Sites.Select(s => (s.Kind, s.FileOffset)), second.Sites.Select(s => (s.Kind, s.FileOffset)));
        }
        finally
        {
            a.Kill(); b.Kill(); a.WaitForExit(); b.WaitForExit();
            Directory.Delete(dir, true);
        }
    }

    static Process Sleeper(string python)
    {
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true };
        foreach (var arg in new[] { "-c", "import time; print('ready', flush=True); time.sleep(30)" }) psi.ArgumentList.Add(arg);
        var p = Process.Start(psi)!;
        Assert.Equal("ready", p.StandardOutput.ReadLine());
        return p;
    }
}
