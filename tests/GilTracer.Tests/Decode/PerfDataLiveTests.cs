using System.Diagnostics;
using GilTracer.Core.Decode;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using GilTracer.Core.Probe;
using GilTracer.Core.Record;

namespace GilTracer.Tests.Decode;

/// <summary>
/// A fresh real recording, bigger than the fixtures (8 threads, GIL probes and sched events, a small ring
/// buffer so that perf writes hundreds of flush rounds and may lose events): the perf.data reader must give
/// exactly perf script's events in perf script's order, and the same analysis as the text path.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PerfDataLiveTests : IDisposable
{
    private const string Python = "/root/.pyenv/versions/3.11.7/bin/python3.11";
    private readonly string _dir = Directory.CreateTempSubdirectory("giltracer-perfdata-live-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Workload()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "bench", "contention.py");
            if (File.Exists(p)) return p;
        }
        throw new FileNotFoundException("bench/contention.py not found above " + AppContext.BaseDirectory);
    }

    private static List<string> PerfScript(string perfData, params string[] args)
    {
        var psi = new ProcessStartInfo("perf") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "script", "-i", perfData }.Concat(args)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (p.StandardOutput.ReadLine() is { } line) lines.Add(line);
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, "perf script failed: " + err.Result);
        return lines;
    }

    [Fact]
    public void FreshStormRecordingMatchesPerfScriptAndTheTextPath()
    {
        var perfData = Path.Combine(_dir, "perf.data");
        var target = PythonLocator.Locate(Python);
        using (var group = UprobeGroup.Create(target.Sites))
        {
            int exit = PerfRecorder.Record(new RecordRequest(
                [group.Selector, "sched:sched_switch", "sched:sched_wakeup", "sched:sched_process_exit"],
                perfData, [Python, Workload(), "8", "1500"], MmapPages: 16));
            Assert.Equal(0, exit);
        }

        var reader = new PerfDataReader(perfData) { IncludeTaskEvents = true };
        var actual = reader.ReadEvents().ToList();
        var expected = PerfScriptOracle.Parse(PerfScript(perfData, "--ns", "--show-task-events", "--show-lost-events",
            "-F", "comm,pid,tid,cpu,time,event,trace"));
        Assert.True(expected.Count > 40_000, $"only {expected.Count} events recorded");
        for (int i = 0; i < Math.Min(expected.Count, actual.Count); i++)
            Assert.True(expected[i] == actual[i], $"event {i} of {expected.Count}: perf script {expected[i]}, reader {actual[i]}");
        Assert.Equal(expected.Count, actual.Count);
        Assert.Equal(expected.Where(e => e.Kind == EventKind.Lost).Sum(e => (long)e.LostCount), reader.LostEvents);
        Assert.Equal(9, actual.Where(e => e.Kind <= EventKind.DropGilReturn).Select(e => e.Tid).Distinct().Count());

        // the text path the CLI used before (perf script piped into the text reader) analyses to the same numbers
        var text = PerfScriptRunner.Read(perfData, new PerfScriptTextReader()).ToList();
        var data = new PerfDataReader(perfData).ReadEvents().ToList();
        PerfDataVsTextReaderTests.AssertSameStreams(text, data);
        PerfDataVsTextReaderTests.AssertSameReports(PerfDataVsTextReaderTests.Analyze(text), PerfDataVsTextReaderTests.Analyze(data));
    }
}
