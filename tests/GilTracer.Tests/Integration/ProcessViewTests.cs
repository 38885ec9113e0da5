using System.Diagnostics;
using GilTracer.Core.Locate;
using GilTracer.Core.Probe;
using GilTracer.Tests.Locate;
using Xunit.Abstractions;

namespace GilTracer.Tests.Integration;

/// <summary>
/// A chrooted Python's binary, reached through each of the views MappedFileResolver tries: each leads to the mapped
/// file only (device and inode), and uprobes placed through each of them really fire.
/// </summary>
[Collection("perf"), Trait("Category", "Integration")]
public class ProcessViewTests(ITestOutputHelper output)
{
    [Fact]
    public void MapsLinesParse()
    {
        var regions = MappedRegion.Parse("""
            00400000-00425000 r--p 00000000 fe:00 857285                             /var/root/usr/bin/python3.15
            7f0000000000-7f0000001000 rw-p 00000000 00:00 0
            7f0000001000-7f0000002000 r-xp 00001000 103:0a 42                         /opt/my lib/libpython3.12.so (deleted)
            7ffd000-7ffe000 rw-p 00000000 00:00 0                          [stack]
            """);
        Assert.Equal(2, regions.Count);
        Assert.Equal(new MappedRegion(0x400000, 0x425000, 0, 0xfe, 0, 857285, "/var/root/usr/bin/python3.15"), regions[0]);
        Assert.Equal("400000-425000", regions[0].Range);
        Assert.Equal((0x103u, 0xau, 42ul, "/opt/my lib/libpython3.12.so (deleted)"), (regions[1].DevMajor, regions[1].DevMinor, regions[1].Inode, regions[1].Path));
    }

    [Theory]
    [InlineData("/var/root/usr/bin/python3.15", "/var/root", "/usr/bin/python3.15")] // chroot: host path
    [InlineData("/var/root/usr/bin/python3.15", "/var/root/", "/usr/bin/python3.15")]
    [InlineData("/usr/bin/python3.15", "/", "/usr/bin/python3.15")] // our root, or another mount namespace
    [InlineData("/var/rootx/bin/python", "/var/root", "/var/rootx/bin/python")] // only whole path components
    [InlineData("/usr/bin/python3.15", null, "/usr/bin/python3.15")]
    public void ProcessPathDropsTheRootPrefix(string maps, string? root, string expected) =>
        Assert.Equal(expected, MappedFileResolver.ProcessPath(maps, root));

    [Fact]
    public void EachViewLeadsToTheMappedFileOnly()
    {
        var (launcher, pid, _) = ContainerAttachTests.StartInRoot("3.15", pidNamespace: false, 30);
        try
        {
            var region = MappedRegion.Parse(File.ReadAllText($"/proc/{pid}/maps")).First(r => r.Path.EndsWith("/python3.15", StringComparison.Ordinal));
            // A chrooted process's maps print host paths.
            Assert.Equal(SidChroot.Python("3.15"), region.Path);
            Assert.Equal(new ResolvedFile(region.Path, "/usr/bin/python3.15", "path"), MappedFileResolver.Resolve(pid, region));
            // A container's maps print paths inside its root: reached through /proc/PID/root.
            Assert.Equal(new ResolvedFile($"/proc/{pid}/root/usr/bin/python3.15", "/usr/bin/python3.15", "process root"),
                MappedFileResolver.Resolve(pid, region with { Path = "/usr/bin/python3.15" }));
            // A path naming another file, on the host and in the root: neither is taken; map_files is.
            Assert.True(File.Exists("/usr/bin/dash") && File.Exists(Path.Combine(SidChroot.Root, "usr/bin/dash")));
            Assert.Equal(new ResolvedFile($"/proc/{pid}/map_files/{region.Range}", "/usr/bin/dash", "map_files"),
                MappedFileResolver.Resolve(pid, region with { Path = "/usr/bin/dash" }));
        }
        finally { launcher.Kill(true); launcher.WaitForExit(); }
    }

    [Fact]
    public void ProbesFireThroughEveryView()
    {
        var (launcher, pid, _) = ContainerAttachTests.StartInRoot("3.15", pidNamespace: true, 30);
        try
        {
            var target = ProcessLocator.Locate(pid, new LocateOptions(DebugDirectories: [SidChroot.DebugDir("3.15")], Debuginfod: DebuginfodOptions.Off));
            var region = MappedRegion.Parse(File.ReadAllText($"/proc/{pid}/maps")).First(r => r.Path == target.GilBinary);
            var takes = target.Sites.Where(s => s.Kind == ProbeSiteKind.TakeGilEntry).ToList();
            foreach (var path in new[] { region.Path, $"/proc/{pid}/root/usr/bin/python3.15", $"/proc/{pid}/map_files/{region.Range}" })
            {
                using var group = UprobeGroup.Create(takes.Select(s => s with { Binary = path }).ToList());
                var hits = CountHits(group.Selector, pid);
                output.WriteLine($"{path}: take_gil fired {hits}× in 0.5 s");
                Assert.True(hits > 10, $"{path}: {hits} hits");
            }
        }
        finally { launcher.Kill(true); launcher.WaitForExit(); }
    }

    static long CountHits(string selector, int pid)
    {
        var psi = new ProcessStartInfo("perf") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "stat", "-x", ",", "-e", selector, "-p", pid.ToString(), "--", "sleep", "0.5" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        // CSV lines "count,unit,event,…", one per probe of the group
        return stderr.Split('\n').Select(l => l.Split(',')).Where(f => f.Length > 2 && f[2].Contains(':'))
            .Sum(f => long.TryParse(f[0], out var n) ? n : 0);
    }

    /// <summary>A debug file installed inside the process's root (python3.X-dbg in the container) is found there.</summary>
    [Fact]
    public void DebugFileInsideTheProcessRootIsUsed()
    {
        // A copy of the sid root made of hard links (nothing is written into the root itself), plus the debug file.
        var root = Path.Combine(SidChroot.Cache, $"test-root-{Guid.NewGuid():N}");
        var cp = Process.Start("cp", ["-al", SidChroot.Root, root])!;
        cp.WaitForExit();
        Assert.Equal(0, cp.ExitCode);
        var id = SidChroot.BuildId("3.15");
        var inRoot = Path.Combine(root, "usr/lib/debug/.build-id", id[..2], id[2..] + ".debug");
        Directory.CreateDirectory(Path.GetDirectoryName(inRoot)!);
        File.Copy(Path.Combine(SidChroot.DebugDir("3.15"), ".build-id", id[..2], id[2..] + ".debug"), inRoot);
        var (launcher, pid, _) = ContainerAttachTests.StartInRoot("3.15", pidNamespace: true, 30, root);
        try
        {
            var t = ProcessLocator.Locate(pid, new LocateOptions(Debuginfod: DebuginfodOptions.Off));
            output.WriteLine(string.Join("\n", t.Notes));
            Assert.Equal("debuginfo", t.Method);
            Assert.Equal($"/proc/{pid}/root/usr/lib/debug/.build-id/{id[..2]}/{id[2..]}.debug", t.DebugFile);
        }
        finally
        {
            launcher.Kill(true);
            launcher.WaitForExit();
            Directory.Delete(root, true);
        }
    }
}
