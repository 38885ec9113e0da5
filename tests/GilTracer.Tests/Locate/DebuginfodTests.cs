using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using GilTracer.Core.Locate;
using GilTracer.Tests.Cli;
using GilTracer.Tests.Integration;
using Xunit.Abstractions;

namespace GilTracer.Tests.Locate;

/// <summary>
/// Debug files fetched from Debian's real debuginfod, serving the sid -dbg .debs on 127.0.0.1: by build-id, into
/// elfutils' cache layout, equal to the packaged files; the locator uses them; `giltracer attach` with DEBUGINFOD_URLS
/// traces a containerised stripped Python with them.
/// </summary>
[Collection("perf"), Trait("Category", "Integration")]
public class DebuginfodServerTests(RealDebuginfod server, ITestOutputHelper output) : IClassFixture<RealDebuginfod>
{
    static string TempCache() => Path.Combine(Path.GetTempPath(), $"giltracer-dcache-{Guid.NewGuid():N}");

    DebuginfodOptions Options(string cache) => new([server.Url], cache, DebuginfodOptions.DefaultTimeout, DebuginfodOptions.DefaultMaxTime);

    [Fact]
    public void FetchesEachSidPythonsDebugFileByBuildIdIntoElfutilsCache()
    {
        output.WriteLine($"debuginfod indexed {Directory.GetFiles(SidChroot.Debs, "*.deb").Length} .debs in {server.ScanSeconds:F1} s");
        var cache = TempCache();
        try
        {
            foreach (var v in SidChroot.Versions)
            {
                var id = SidChroot.BuildId(v);
                var watch = Stopwatch.StartNew();
                var got = DebuginfodClient.Fetch(id, Options(cache));
                var first = watch.Elapsed.TotalSeconds;
                Assert.Empty(got.Warnings);
                Assert.Equal(Path.Combine(cache, id, "debuginfo"), got.Path);
                Assert.Equal(server.Url, got.Url);
                // The very file the -dbg package holds.
                var packaged = Path.Combine(SidChroot.DebugDir(v), ".build-id", id[..2], id[2..] + ".debug");
                Assert.Equal(SHA256.HashData(File.ReadAllBytes(packaged)), SHA256.HashData(File.ReadAllBytes(got.Path!)));
                watch.Restart();
                var again = DebuginfodClient.Fetch(id, Options(cache));
                output.WriteLine($"python{v} {id}: fetched in {first:F1} s ({new FileInfo(got.Path!).Length / 1e6:F1} MB), from the cache in {watch.Elapsed.TotalSeconds:F2} s");
                Assert.Equal(("cache", got.Path), (again.Url, again.Path));
                Assert.Empty(Directory.GetFiles(Path.Combine(cache, id), ".debuginfo*")); // no temporary file left
            }
        }
        finally { if (Directory.Exists(cache)) Directory.Delete(cache, true); }
    }

    [Fact]
    public void LocatorTakesTheSitesOfTheFetchedDebugFile()
    {
        var cache = TempCache();
        try
        {
            var facts = new InterpreterFacts("/usr/bin/python3.15", "3.15", false, []);
            var fetched = PythonLocator.LocateIn(facts, SidChroot.Python("3.15"), false, new LocateOptions(DebugDirectories: [], Debuginfod: Options(cache)));
            var local = PythonLocator.LocateIn(facts, SidChroot.Python("3.15"), false, new LocateOptions(DebugDirectories: [SidChroot.DebugDir("3.15")], Debuginfod: DebuginfodOptions.Off));
            output.WriteLine(string.Join("\n", fetched.Notes));
            Assert.Equal("debuginfod", fetched.Method);
            Assert.Equal(Path.Combine(cache, SidChroot.BuildId("3.15"), "debuginfo"), fetched.DebugFile);
            Assert.Contains(fetched.Notes, n => n.Contains(server.Url));
            Assert.Empty(fetched.Warnings);
            Assert.Equal("debuginfo", local.Method);
            Assert.Equal(local.Sites.Select(s => (s.Kind, s.FileOffset)), fetched.Sites.Select(s => (s.Kind, s.FileOffset)));
        }
        finally { if (Directory.Exists(cache)) Directory.Delete(cache, true); }
    }

    /// <summary>The CLI as a user runs it: DEBUGINFOD_URLS set, a stripped Python in a PID namespace and a chroot.</summary>
    [Fact]
    public void AttachCliWithDebuginfodUrlsTracesAContainerisedPython()
    {
        var cache = TempCache();
        var dir = Repo.TempDir();
        var (launcher, pid, _) = ContainerAttachTests.StartInRoot("3.15", pidNamespace: true, 60);
        try
        {
            var r = CliRunner.Run(["attach", pid.ToString(), "--duration", "2", "-o", dir, "--verbose"],
                new Dictionary<string, string> { ["DEBUGINFOD_URLS"] = server.Url, ["DEBUGINFOD_CACHE_PATH"] = cache });
            output.WriteLine(r.Stdout);
            output.WriteLine(r.Stderr);
            Assert.Equal(0, r.ExitCode);
            Assert.Contains("(debuginfod)", r.Stderr);
            Assert.True(File.Exists(Path.Combine(cache, SidChroot.BuildId("3.15"), "debuginfo")));
            using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "summary.json")));
            var workers = summary.RootElement.GetProperty("threads").EnumerateArray()
                .Where(t => t.GetProperty("name").GetString()!.StartsWith("worker-", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, workers.Count);
            Assert.All(workers, w =>
            {
                Assert.Equal(pid, w.GetProperty("pid").GetInt32());
                Assert.InRange(w.GetProperty("gil_wait_pct").GetDouble(), 35, 65);
                Assert.InRange(w.GetProperty("no_gil_pct").GetDouble(), 0, 2);
            });
        }
        finally
        {
            launcher.Kill(true);
            launcher.WaitForExit();
            Directory.Delete(dir, true);
            if (Directory.Exists(cache)) Directory.Delete(cache, true);
        }
    }
}

/// <summary>debuginfod servers that fail: unreachable, silent, lying about the build-id, without the file.</summary>
public class DebuginfodClientTests(ITestOutputHelper output)
{
    static readonly InterpreterFacts Debian311 = new(PythonInstalls.DebianPython, "3.11", false, []);

    static DebuginfodOptions Options(string cache, TimeSpan? timeout = null, params string[] urls) =>
        new(urls, cache, timeout ?? DebuginfodOptions.DefaultTimeout, DebuginfodOptions.DefaultMaxTime);

    static string TempCache() => Path.Combine(Path.GetTempPath(), $"giltracer-dcache-{Guid.NewGuid():N}");

    [Fact]
    public void UnreachableServerFallsBackToTheHeuristicWithAWarningAtOnce()
    {
        DebuginfodClient.ForgetUnreachable();
        var url = $"http://127.0.0.1:{RealDebuginfod.FreePort()}"; // nobody listens there
        var cache = TempCache();
        var watch = Stopwatch.StartNew();
        var t = PythonLocator.LocateIn(Debian311, PythonInstalls.DebianPython, false, new LocateOptions(DebugDirectories: [], Debuginfod: Options(cache, null, url)));
        output.WriteLine($"{watch.Elapsed.TotalSeconds:F2} s: {string.Join(" | ", t.Warnings)}");
        Assert.InRange(watch.Elapsed.TotalSeconds, 0, 10);
        Assert.Equal("heuristic", t.Method);
        Assert.Null(t.DebugFile);
        var warning = Assert.Single(t.Warnings);
        Assert.Contains(url, warning);
        Assert.Contains("unreachable", warning);
        Assert.Contains("disassembly", warning);
        Assert.False(Directory.Exists(cache)); // a failure is no miss to remember
    }

    [Fact]
    public void SilentServerIsGivenUpAfterTheTimeoutAndNotAskedAgain()
    {
        DebuginfodClient.ForgetUnreachable();
        using var silent = new FakeDebuginfod(_ => null);
        var cache = TempCache();
        var options = Options(cache, TimeSpan.FromSeconds(2), silent.Url);
        var watch = Stopwatch.StartNew();
        var r = DebuginfodClient.Fetch(SidChroot.BuildId("3.15"), options);
        output.WriteLine($"{watch.Elapsed.TotalSeconds:F2} s: {string.Join(" | ", r.Warnings)}");
        Assert.InRange(watch.Elapsed.TotalSeconds, 1.5, 6);
        Assert.Null(r.Path);
        Assert.Contains("no answer within 2 s (DEBUGINFOD_TIMEOUT)", Assert.Single(r.Warnings));
        // The same run does not wait for it again (one wait per run, not one per binary).
        watch.Restart();
        r = DebuginfodClient.Fetch(SidChroot.BuildId("3.14"), options);
        Assert.InRange(watch.Elapsed.TotalSeconds, 0, 1);
        Assert.Contains("did not answer earlier", Assert.Single(r.Warnings));
        Assert.False(File.Exists(Path.Combine(cache, SidChroot.BuildId("3.14"), "debuginfo"))); // a failure is no miss
        Assert.Equal(1, silent.Requests);
        if (Directory.Exists(cache)) Directory.Delete(cache, true);
    }

    [Fact]
    public void FileWithAnotherBuildIdIsRefused()
    {
        DebuginfodClient.ForgetUnreachable();
        var id = SidChroot.BuildId("3.15");
        var otherId = SidChroot.BuildId("3.14");
        var other = File.ReadAllBytes(Path.Combine(SidChroot.DebugDir("3.14"), ".build-id", otherId[..2], otherId[2..] + ".debug"));
        using var liar = new FakeDebuginfod(_ => (200, other));
        var cache = TempCache();
        try
        {
            var r = DebuginfodClient.Fetch(id, Options(cache, null, liar.Url));
            output.WriteLine(string.Join(" | ", r.Warnings));
            Assert.Null(r.Path);
            var warning = Assert.Single(r.Warnings);
            Assert.Contains($"build-id is {otherId}, not {id}: refused", warning);
            Assert.Empty(Directory.GetFiles(Path.Combine(cache, id))); // neither the file nor a temporary one stays
            // Not an ELF file at all (an HTML error page with status 200): refused too.
            using var page = new FakeDebuginfod(_ => (200, "<html>oops</html>"u8.ToArray()));
            Assert.Contains("missing (or not an ELF file)", Assert.Single(DebuginfodClient.Fetch(id, Options(cache, null, page.Url)).Warnings));
        }
        finally { if (Directory.Exists(cache)) Directory.Delete(cache, true); }
    }

    [Fact]
    public void MissIsRememberedAsElfutilsDoes()
    {
        DebuginfodClient.ForgetUnreachable();
        using var empty = new FakeDebuginfod(_ => (404, null));
        var cache = TempCache();
        try
        {
            var id = SidChroot.BuildId("3.15");
            var first = DebuginfodClient.Fetch(id, Options(cache, null, empty.Url));
            Assert.Null(first.Path);
            Assert.Empty(first.Warnings); // not having a file is no failure: a note
            Assert.Contains($"no debuginfod server has build-id {id}", Assert.Single(first.Notes!));
            Assert.Equal(0, new FileInfo(Path.Combine(cache, id, "debuginfo")).Length); // elfutils' negative-cache entry
            var again = DebuginfodClient.Fetch(id, Options(cache, null, empty.Url));
            Assert.Null(again.Path);
            Assert.Empty(again.Warnings);
            Assert.Contains("a miss remembered", Assert.Single(again.Notes!));
            Assert.Equal(1, empty.Requests);
            // cache_miss_s 0: the miss is stale at once and the server is asked again.
            File.WriteAllText(Path.Combine(cache, "cache_miss_s"), "0\n");
            DebuginfodClient.Fetch(id, Options(cache, null, empty.Url));
            Assert.Equal(2, empty.Requests);
        }
        finally { if (Directory.Exists(cache)) Directory.Delete(cache, true); }
    }

    [Fact]
    public void LocalDebugFileComesFirstAndNoServerIsAsked()
    {
        DebuginfodClient.ForgetUnreachable();
        using var server = new FakeDebuginfod(_ => (404, null));
        var cache = TempCache();
        var t = PythonLocator.LocateIn(new InterpreterFacts("/usr/bin/python3.15", "3.15", false, []), SidChroot.Python("3.15"), false,
            new LocateOptions(DebugDirectories: [SidChroot.DebugDir("3.15")], Debuginfod: Options(cache, null, server.Url)));
        Assert.Equal("debuginfo", t.Method);
        Assert.StartsWith(SidChroot.DebugDir("3.15"), t.DebugFile);
        Assert.Empty(t.Warnings);
        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public void SettingsAreReadAsElfutilsReadsThem()
    {
        Dictionary<string, string> env = new() { ["HOME"] = "/home/u" };
        Func<string, string?> get = k => env.GetValueOrDefault(k);
        Assert.Empty(DebuginfodOptions.FromEnvironment(get).Urls);
        env["DEBUGINFOD_URLS"] = " https://a.example/  http://b.example:8002 ";
        var o = DebuginfodOptions.FromEnvironment(get);
        Assert.Equal(["https://a.example/", "http://b.example:8002"], o.Urls);
        Assert.Equal("/home/u/.cache/debuginfod_client", o.CacheDirectory);
        Assert.Equal(DebuginfodOptions.DefaultTimeout, o.Timeout);
        env["XDG_CACHE_HOME"] = "/xdg";
        Assert.Equal("/xdg/debuginfod_client", DebuginfodOptions.FromEnvironment(get).CacheDirectory);
        env["DEBUGINFOD_CACHE_PATH"] = "/c";
        env["DEBUGINFOD_TIMEOUT"] = "7";
        env["DEBUGINFOD_MAXTIME"] = "60";
        env["DEBUGINFOD_MAXSIZE"] = "1000";
        o = DebuginfodOptions.FromEnvironment(get);
        Assert.Equal(("/c", TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(60), 1000L), (o.CacheDirectory, o.Timeout, o.MaxTime, o.MaxSize!.Value));
        env["DEBUGINFOD_TIMEOUT"] = "soon";
        Assert.Equal(DebuginfodOptions.DefaultTimeout, DebuginfodOptions.FromEnvironment(get).Timeout);
    }
}
