using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using GilTracer.Core.Probe;
using GilTracer.Tests.Integration;
using GilTracer.Tests.Locate;
using Xunit.Abstractions;

namespace GilTracer.Tests.Cli;

/// <summary>
/// `giltracer top` as users run it: the README's Native AOT launcher (./giltracer), real perf, real uprobes, real
/// Pythons. Plain output (not a terminal): one block per interval.
/// </summary>
[Collection("perf"), Trait("Category", "Integration")]
public class TopCliTests(ITestOutputHelper output)
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    static readonly string Python = Repo.Pyenv("3.11.7");

    /// <summary>A block's rows: tid → wait % over the interval.</summary>
    static List<Dictionary<int, double>> Blocks(IEnumerable<string> lines)
    {
        var blocks = new List<Dictionary<int, double>>();
        foreach (var line in lines)
        {
            if (line.StartsWith("giltracer top · ", StringComparison.Ordinal)) blocks.Add(new());
            else if (blocks.Count > 0 && Regex.Match(line, @"^\s*(\d+)\*?\s+\S.*?\s+(\d+\.\d)\s+\d+\.\d\s+\d+\.\d\s+\d+\.\d\s+\d+\.\d") is { Success: true } m)
                blocks[^1][int.Parse(m.Groups[1].Value, Inv)] = double.Parse(m.Groups[2].Value, Inv);
        }
        return blocks;
    }

    static int FreePort()
    {
        using var l = new TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>tid → (life, wait) seconds, from giltracer_thread_seconds_total and giltracer_thread_gil_wait_seconds_total (OpenMetrics).</summary>
    static Dictionary<int, (double Life, double Wait)> Scrape(HttpClient http, int port)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{port}/metrics");
        request.Headers.Accept.ParseAdd("application/openmetrics-text; version=1.0.0"); // as Prometheus asks
        using var response = http.Send(request);
        Assert.Equal("application/openmetrics-text", response.Content.Headers.ContentType?.MediaType);
        var text = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        Assert.EndsWith("# EOF\n", text);
        var life = new Dictionary<int, double>();
        var wait = new Dictionary<int, double>();
        foreach (Match m in Regex.Matches(text, @"^giltracer_thread_(seconds|gil_wait_seconds)_total\{pid=""\d+"",tid=""(\d+)"",name=""[^""]*""\} (\S+)$", RegexOptions.Multiline))
            (m.Groups[1].Value == "seconds" ? life : wait)[int.Parse(m.Groups[2].Value, Inv)] = double.Parse(m.Groups[3].Value, Inv);
        return life.Keys.ToDictionary(t => t, t => (life[t], wait.GetValueOrDefault(t)));
    }

    static void AssertNoProbesOf(int giltracerPid) =>
        Assert.DoesNotContain(UprobeGroup.ListDefined(), g => g.OwnerPid == giltracerPid);

    [Fact]
    public void TopOnContendingThreadsShowsAndServesEachWaitingAboutHalfThenStopsCleanly()
    {
        using var target = AttachIntegrationTests.StartTarget(Python, 60);
        try
        {
            var workers = Directory.EnumerateDirectories($"/proc/{target.Id}/task").Select(d => int.Parse(Path.GetFileName(d), Inv))
                .Where(t => t != target.Id).ToList();
            Assert.Equal(2, workers.Count);
            int port = FreePort();
            using var top = AotLauncher.Start(["top", target.Id.ToString(Inv), "--duration", "7", "--metrics", port.ToString(Inv), "-v"]);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

            // the blocks: within 3 s of the recording's start, one shows both workers waiting 35-65 %
            var watch = Stopwatch.StartNew();
            TimeSpan? started = null;
            while (started is null && watch.Elapsed < TimeSpan.FromSeconds(60) && !top.Process.HasExited)
            {
                started = top.Err.Where(l => l.Line.Contains("giltracer: watching process")).Select(l => (TimeSpan?)l.At).FirstOrDefault();
                Thread.Sleep(20);
            }
            Assert.True(started is not null, "top never started watching: " + top.Stderr);
            Thread.Sleep(TimeSpan.FromSeconds(3) - (top.Clock.Elapsed - started.Value));
            var early = Blocks(top.Out.Where(l => l.At <= started.Value + TimeSpan.FromSeconds(3)).Select(l => l.Line));
            output.WriteLine($"blocks within 3 s: {string.Join(" | ", early.Select(b => string.Join(", ", b.Select(kv => $"{kv.Key}: {kv.Value}"))))}");
            Assert.Contains(early, b => workers.All(w => b.TryGetValue(w, out var pct) && pct is >= 35 and <= 65));

            // the metrics: scrapes every half second; between the first and the last, each worker waited 35-65 % of the time
            var scrapes = new List<(TimeSpan At, Dictionary<int, (double Life, double Wait)> Threads)>();
            while (top.Clock.Elapsed < started.Value + TimeSpan.FromSeconds(6.5))
            {
                scrapes.Add((top.Clock.Elapsed, Scrape(http, port)));
                Thread.Sleep(500);
            }
            Assert.True(scrapes.Count >= 6, $"{scrapes.Count} scrapes");
            var (firstAt, first) = scrapes[0];
            var (lastAt, last) = scrapes[^1];
            foreach (var w in workers)
            {
                double rate = (last[w].Wait - first[w].Wait) / (lastAt - firstAt).TotalSeconds;
                output.WriteLine($"worker {w}: wait rate {rate:F3} over {(lastAt - firstAt).TotalSeconds:F1} s");
                Assert.InRange(rate, 0.35, 0.65);
            }
            // no thread's wait ever grows faster than time (the clock between scrapes), nor than its life
            for (int i = 1; i < scrapes.Count; i++)
                foreach (var (tid, now) in scrapes[i].Threads)
                {
                    if (!scrapes[i - 1].Threads.TryGetValue(tid, out var before)) continue;
                    double dt = (scrapes[i].At - scrapes[i - 1].At).TotalSeconds;
                    Assert.True(now.Wait - before.Wait <= dt, $"thread {tid}: waited {now.Wait - before.Wait:F3} s in {dt:F3} s");
                    Assert.True(now.Wait - before.Wait <= now.Life - before.Life + 1e-9, $"thread {tid}: waited more than it lived");
                    Assert.True(now.Wait >= before.Wait && now.Life >= before.Life, $"thread {tid}: a counter went back");
                }

            // --duration ends it: exit 0, the session's table, no probe left
            Assert.True(top.WaitForExit(TimeSpan.FromSeconds(30)), "top did not stop after --duration");
            output.WriteLine(top.Stdout);
            Assert.Equal(0, top.ExitCode);
            Assert.Contains("the whole session:", top.Stdout);
            AssertNoProbesOf(top.Process.Id);
            Assert.DoesNotContain("\u001b", top.Stdout); // plain: no cursor movement, no colour
        }
        finally { target.Kill(); }
    }

    [Fact]
    public void EachIntervalFollowsContentionAsItChangesAndTheProgramsExitCodeIsTops()
    {
        // top -- COMMAND starts the Python itself: calm 3 s, contended 3 s, calm 3 s, then exit code 3
        var script = Path.Combine(AppContext.BaseDirectory, "Scripts", "phases.py");
        var r = AotLauncher.Run(["top", "--", Python, script, "3", "3"], timeoutS: 120);
        output.WriteLine(r.Stdout);
        output.WriteLine(r.Stderr);
        Assert.Equal(3, r.ExitCode);
        var blocks = Blocks(r.Stdout.Split('\n'));
        Assert.True(blocks.Count >= 9, $"{blocks.Count} blocks");
        Assert.Contains("worker-1", r.Stdout); // the bootstrap's names
        for (int i = 0; i < 9; i++)
        {
            var waits = blocks[i].Values.OrderDescending().Take(2).ToList();
            Assert.Equal(2, waits.Count);
            // The program counts its phases from its own start, which comes 0.1-0.3 s after the recording's (Python
            // starts up): the block in which a change happens shows some of each phase, the next one only the new phase.
            if (i is 4 or 5) Assert.All(waits, w => Assert.InRange(w, 35, 65));
            else if (i == 3) Assert.All(waits, w => Assert.InRange(w, 25, 65));
            else if (i == 6) Assert.All(waits, w => Assert.InRange(w, 0, 25));
            else Assert.All(waits, w => Assert.InRange(w, 0, 10));
        }
        Assert.Contains("the whole session:", r.Stdout);
    }

    sealed record Row(int Tid, bool Main, string Name, double Wait);

    /// <summary>Each block's rows (wait % over the interval), names as shown.</summary>
    static List<List<Row>> BlockRows(IEnumerable<string> lines)
    {
        var blocks = new List<List<Row>>();
        foreach (var line in lines)
        {
            if (line.StartsWith("giltracer top · ", StringComparison.Ordinal)) blocks.Add(new());
            else if (blocks.Count > 0 && Regex.Match(line, @"^\s*(\d+)(\*?)\s+(\S.*?)\s+(\d+\.\d)\s+\d+\.\d\s+\d+\.\d\s+\d+\.\d\s+\d+\.\d") is { Success: true } m)
                blocks[^1].Add(new Row(int.Parse(m.Groups[1].Value, Inv), m.Groups[2].Value == "*", m.Groups[3].Value, double.Parse(m.Groups[4].Value, Inv)));
        }
        return blocks;
    }

    /// <summary>The whole session's table (after "the whole session:"), its last column the GIL wait %.</summary>
    static List<Row> SessionRows(string stdout)
    {
        var rows = new List<Row>();
        var session = stdout[(stdout.IndexOf("the whole session:", StringComparison.Ordinal) + 1)..];
        foreach (var line in session.Split('\n'))
        {
            var cells = line.Split('|', StringSplitOptions.TrimEntries);
            if (cells.Length >= 7 && Regex.Match(cells[1], @"^(\d+)(\*?)$") is { Success: true } m && double.TryParse(cells[^2], NumberStyles.Float, Inv, out var wait))
                rows.Add(new Row(int.Parse(m.Groups[1].Value, Inv), m.Groups[2].Value == "*", cells[2], wait));
        }
        return rows;
    }

    /// <summary>Runs top -- COMMAND to its end; checks the program's exit code (3) is top's and no probe is left.</summary>
    CliRunner.Result TopCommand(string[] command, string? workDir = null)
    {
        using var top = AotLauncher.Start(["top", "--duration", "60", "-v", "--", .. command], workDir);
        Assert.True(top.WaitForExit(TimeSpan.FromSeconds(120)), "top did not end with its program");
        output.WriteLine($"$ giltracer top --duration 60 -v -- {string.Join(' ', command)}   (exit {top.ExitCode}, {top.Clock.Elapsed.TotalSeconds:F1} s)");
        output.WriteLine(top.Stdout);
        output.WriteLine(top.Stderr);
        Assert.Equal(3, top.ExitCode);
        AssertNoProbesOf(top.Process.Id);
        return new CliRunner.Result(top.ExitCode, top.Stdout + "\n", top.Stderr);
    }

    /// <summary>The two workers, under the names expected, wait 35-65 % in at least two intervals (of about four) and
    /// over the whole session.</summary>
    void AssertWorkersContend(CliRunner.Result r, string[] names)
    {
        static bool Contending(List<Row> workers, string[] names) =>
            workers.Count == 2 && workers.Select(w => w.Name).Order().SequenceEqual(names) && workers.All(w => w.Wait is >= 35 and <= 65);
        var blocks = BlockRows(r.Stdout.Split('\n')).Select(b => b.Where(t => !t.Main).ToList()).ToList();
        output.WriteLine($"workers' wait per block: {string.Join(" | ", blocks.Select(b => string.Join(", ", b.Select(w => $"{w.Tid} {w.Name} {w.Wait}"))))}");
        Assert.True(blocks.Count(b => Contending(b, names)) >= 2, "fewer than two blocks with both workers waiting 35-65 %");
        var session = SessionRows(r.Stdout).Where(t => !t.Main).ToList();
        output.WriteLine($"session: {string.Join(", ", session.Select(w => $"{w.Tid} {w.Name} {w.Wait}"))}");
        Assert.True(Contending(session, names), "the session's table does not show both workers waiting 35-65 %");
    }

    static readonly string Contention = Path.Combine(AppContext.BaseDirectory, "Scripts", "contention.py");

    [Fact]
    public void AConsoleScriptThatExecsItsPythonIsWatchedWithThreadNamesAndItsExitCodeIsTops()
    {
        // a console script as pip writes it: #!<the environment's Python>, importing the package's main, run as ./name
        var dir = Repo.TempDir();
        try
        {
            File.Copy(Contention, Path.Combine(dir, "contention.py"));
            var script = Path.Combine(dir, "contend");
            File.WriteAllText(script, $"#!{Python}\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom contention import main\n" +
                                      "if __name__ == \"__main__\":\n    sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n    sys.exit(main())\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
            var r = TopCommand(["./contend", "4"], dir);
            Assert.Contains($"the command runs {Python} (#!{Python})", r.Stderr);
            AssertWorkersContend(r, ["worker-1", "worker-2"]); // named by our site hook
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>sid's static, stripped Pythons in their root (our test cache: its /tmp is ours to write), found by the
    /// heuristic: 3.14+ name OS threads after their threading names; 3.13's keep the process's name, which is warned of.
    /// 3.13's 54 probes give perf a header larger than a pipe holds: top reads it while perf is being enabled.</summary>
    [Theory]
    [InlineData("3.13")]
    [InlineData("3.15")]
    public void APythonInAnotherRootIsWatchedWithItsKernelThreadNames(string version)
    {
        var inRoot = $"/tmp/giltracer-{Guid.NewGuid():N}-contention.py";
        File.Copy(Contention, SidChroot.Root + inRoot);
        try
        {
            var r = TopCommand(["chroot", SidChroot.Root, $"python{version}", inRoot, "4"]);
            Assert.Contains($"the command runs {SidChroot.Python(version)} (chroot {SidChroot.Root})", r.Stderr);
            bool named = version != "3.13";
            Assert.Equal(named ? 0 : 1, Regex.Matches(r.Stderr, "told apart by tid").Count);
            AssertWorkersContend(r, named ? ["worker-1", "worker-2"] : [$"python{version}", $"python{version}"]);
        }
        finally { File.Delete(SidChroot.Root + inRoot); }
    }

    [Fact]
    public void ACommandThatStartsPythonInAChildIsOneErrorLine()
    {
        var r = AotLauncher.Run(["top", "--", "sh", "-c", "python3 x.py"]);
        output.WriteLine(r.Stderr);
        CliRunner.AssertOneLineError(r, "'sh' runs /usr/bin/dash, which is not a Python", 2);
        Assert.Contains("use giltracer run -- COMMAND, or giltracer top PID once the Python runs", r.Stderr);
    }

    [Fact]
    public void ATargetThatExitsEndsTopWithItsSessionAndExitCodeZero()
    {
        // perf takes 1-3 s to attach on a busy 2-core machine: the target lives long enough for a few blocks
        using var target = AttachIntegrationTests.StartTarget(Python, 7);
        var r = AotLauncher.Run(["top", target.Id.ToString(Inv)], timeoutS: 60);
        output.WriteLine(r.Stdout);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"process {target.Id} exited; the whole session:", r.Stdout);
        Assert.Contains("GIL of pid", r.Stdout.Split("the whole session:")[1]);
        Assert.True(Blocks(r.Stdout.Split('\n')).Count >= 1);
    }

    [Fact]
    public void APidThatIsNotPythonIsOneErrorLine()
    {
        using var sleep = Process.Start("sleep", "60");
        try
        {
            CliRunner.AssertOneLineError(AotLauncher.Run(["top", sleep.Id.ToString(Inv)]), $"process {sleep.Id} (sleep) is not running CPython");
            CliRunner.AssertOneLineError(AotLauncher.Run(["top", "--", "sleep", "60"]), "is not a Python", 2);
        }
        finally { sleep.Kill(); }
    }

    [Fact]
    public void ProbesThatCannotBePlacedAreOneErrorLine()
    {
        // a service whose binary was replaced under it (a package upgrade): its file is gone, a uprobe cannot name it
        var dir = Repo.TempDir();
        var copy = Path.Combine(dir, "python3.11");
        File.Copy("/usr/bin/python3.11", copy);
        File.SetUnixFileMode(copy, (UnixFileMode)0b111_101_101);
        using var python = Process.Start(new ProcessStartInfo(copy, ["-c", "import time; print('ready', flush=True); time.sleep(60)"]) { RedirectStandardOutput = true })!;
        try
        {
            Assert.Equal("ready", python.StandardOutput.ReadLine());
            File.Delete(copy);
            var r = AotLauncher.Run(["top", python.Id.ToString(Inv), "--duration", "2"]);
            output.WriteLine(r.Stderr);
            CliRunner.AssertOneLineError(r, "uprobe");

            // no tracefs to write the probes to (hidden in a private mount namespace of this giltracer alone)
            using var running = AttachIntegrationTests.StartTarget(Python, 30);
            const string Hide = "mount -t tmpfs none /sys/kernel/tracing && mount -t tmpfs none /sys/kernel/debug && exec \"$@\"";
            var hidden = Run("unshare", ["--mount", "--propagation", "private", "--", "sh", "-c", Hide, "sh", AotLauncher.Path, "top", running.Id.ToString(Inv)]);
            output.WriteLine(hidden.Stderr);
            CliRunner.AssertOneLineError(hidden, "tracefs is not mounted");
            running.Kill();
        }
        finally { python.Kill(); }
    }

    static CliRunner.Result Run(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException($"{file} did not finish in 60 s"); }
        return new CliRunner.Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
