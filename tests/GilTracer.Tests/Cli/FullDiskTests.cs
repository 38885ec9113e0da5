using System.Buffers.Binary;
using System.Diagnostics;

namespace GilTracer.Tests.Cli;

/// <summary>
/// A full output folder: one error line saying so, exit 1, no half-written output, and the table still printed when the
/// numbers exist. The small folder is a tmpfs mounted in a private mount namespace of the test (giltracer never mounts).
/// </summary>
[Collection("perf"), Trait("Category", "Integration")]
public class FullDiskTests
{
    sealed record Outcome(int ExitCode, string Stdout, string Stderr, string[] FilesLeft);

    /// <summary>giltracer ARGS with DIR a fresh tmpfs of <paramref name="size"/>; what DIR held afterwards.</summary>
    static Outcome InSmallFolder(string size, Func<string, IEnumerable<string>> args)
    {
        var outside = Integration.Repo.TempDir();
        var dir = Path.Combine(outside, "small");
        Directory.CreateDirectory(dir);
        var psi = new ProcessStartInfo("unshare") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--mount", "sh", "-c",
                     $"mount -t tmpfs -o size={size} none \"$1\" || exit 99; shift; \"$@\"; rc=$?; find \"{dir}\" -type f -printf '%P\\n' > \"{outside}/left\"; exit $rc",
                     "sh", dir, "dotnet", Path.Combine(AppContext.BaseDirectory, "giltracer.dll") })
            psi.ArgumentList.Add(a);
        foreach (var a in args(dir)) psi.ArgumentList.Add(a);
        psi.Environment["COLUMNS"] = "";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(180_000)) { p.Kill(true); Assert.Fail("giltracer did not end within 180 s"); }
        Assert.NotEqual(99, p.ExitCode);
        var left = File.ReadAllLines(Path.Combine(outside, "left"));
        return new Outcome(p.ExitCode, stdout.Result, stderr.Result, left);
    }

    static void AssertFolderFullError(Outcome r, string dirEnd)
    {
        Assert.Equal(1, r.ExitCode);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("giltracer: error: "));
        Assert.Matches($@"^giltracer: error: the output folder \S*{dirEnd} is full \(no space left on its device\)", line);
        Assert.DoesNotContain("   at ", r.Stderr);
        Assert.DoesNotContain(r.FilesLeft, f => f.EndsWith(".json") || f.EndsWith(".partial") || f.EndsWith(".html"));
    }

    [Fact]
    public void OutputsThatDoNotFitGiveOneLineNoHalfWrittenJsonAndStillTheTable()
    {
        // the run fixture makes a trace.json of 700 KB: 256 KB is not enough
        var data = TestSupport.DataPath("run");
        var r = InSmallFolder("256k", dir => ["convert", "auto", Path.Combine(data, "perf.data"), "-o", dir]);
        AssertFolderFullError(r, "small");
        Assert.Contains("trace.json", r.Stderr);
        Assert.Contains("| 8718* | MainThread |", r.Stdout); // the numbers exist: the table is printed
        Assert.Contains("GIL of pid 8718", r.Stdout);
    }

    [Fact]
    public void APerfDataThatFillsTheFolderIsCalledSo()
    {
        // many GIL switches a second: perf.data outgrows 1 MB within the three seconds
        var script = Path.Combine(Integration.Repo.TempDir(), "busy.py");
        File.WriteAllText(script, "import threading, time\ndef f():\n    end = time.time() + 3\n    while time.time() < end: time.sleep(0)\n" +
                                  "ts = [threading.Thread(target=f) for _ in range(2)]\nfor t in ts: t.start()\nfor t in ts: t.join()\n");
        var r = InSmallFolder("1m", dir => ["run", "-o", dir, "--python", Integration.Repo.Pyenv("3.12.1"), script]);
        AssertFolderFullError(r, "small");
        Assert.Contains("perf could not finish", r.Stderr);
        Assert.Contains("perf.data", r.FilesLeft); // what perf wrote stays, for a look
    }

    [Fact]
    public void APerfDataPerfCouldNotFinishIsCalledTruncated()
    {
        // as perf leaves it when it cannot write its end: the data section's size still 0, no feature sections
        var original = File.ReadAllBytes(TestSupport.DataPath("perfdata/gil.perf.data"));
        long dataOffset = BinaryPrimitives.ReadInt64LittleEndian(original.AsSpan(40)), dataSize = BinaryPrimitives.ReadInt64LittleEndian(original.AsSpan(48));
        var cut = original[..(int)(dataOffset + dataSize * 2 / 3)];
        BinaryPrimitives.WriteInt64LittleEndian(cut.AsSpan(48), 0);
        BinaryPrimitives.WriteInt64LittleEndian(cut.AsSpan(72), 0); // no features
        var dir = Integration.Repo.TempDir();
        var path = Path.Combine(dir, "cut.perf.data");
        File.WriteAllBytes(path, cut);
        var r = CliRunner.Run(["convert", "gil", path, "-o", Path.Combine(dir, "out")]);
        CliRunner.AssertOneLineError(r, $"{path} is truncated: perf could not finish writing it");
        Assert.False(Directory.Exists(Path.Combine(dir, "out")) && Directory.EnumerateFiles(Path.Combine(dir, "out")).Any());
    }
}
