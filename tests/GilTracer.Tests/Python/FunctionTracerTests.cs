using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Python;

/// <summary>The real tracer on every pyenv Python: the program behaves as without it, and what it writes is usable.</summary>
public class FunctionTracerTests : IDisposable
{
    readonly string _tmp = Directory.CreateTempSubdirectory("giltracer-fn-").FullName;
    public void Dispose() => Directory.Delete(_tmp, true);

    public static TheoryData<string> Versions => new(PythonVersions.All);

    PythonVersions.Result Traced(string version, string outDir, params string[] args) =>
        PythonVersions.Run(PythonVersions.Exe(version), [Path.Combine(PythonVersions.PythonDir, "giltracer_boot.py"), .. args],
            PythonVersions.Scripts, new Dictionary<string, string>
            {
                ["GILTRACER_EXTRA_BOOT"] = Path.Combine(PythonVersions.PythonDir, "giltracer_functions.py"),
                ["GILTRACER_FUNCTIONS"] = outDir,
            });

    [Theory]
    [MemberData(nameof(Versions))]
    public void ScriptBehavesAsWithoutTheTracer_AndItsCallsAreRecorded(string version)
    {
        var plain = PythonVersions.Run(PythonVersions.Exe(version), ["functions_parity.py", "5", "x y"], PythonVersions.Scripts);
        var dir = Path.Combine(_tmp, "s");
        var traced = Traced(version, dir, "functions_parity.py", "5", "x y");
        Assert.Equal(5, plain.ExitCode);
        Assert.Equal(plain.ExitCode, traced.ExitCode);
        Assert.Equal(plain.Stdout, traced.Stdout);
        Assert.Equal(plain.Stderr, traced.Stderr);
        Assert.Contains("name __main__ argv ['functions_parity.py', '5', 'x y'] path0 Scripts file functions_parity.py", traced.Stdout);

        var trace = FunctionTraceReader.Read(dir);
        Assert.Equal(version, trace.PythonVersion);
        Assert.Equal(version.StartsWith("3.12") || version.StartsWith("3.13") ? "monitoring" : "setprofile", trace.Mode);
        Assert.NotNull(trace.Stats);
        Assert.Equal(trace.Records.Length, trace.Stats!.Events);
        Assert.False(trace.Truncated);
        Assert.Contains("worker", trace.ThreadNames.Values);
        Assert.Contains("MainThread", trace.ThreadNames.Values);
        // work() ran on the worker thread, enter and exit, and the timeline pairs them into a span
        var work = trace.Functions.Values.Single(f => f.Name == "work" && f.File.EndsWith("functions_parity.py"));
        var workerTid = trace.ThreadNames.Single(p => p.Value == "worker").Key;
        Assert.Contains(trace.Records, r => r.Id == work.Id && r.Kind == FunctionRecordKind.Enter && r.Tid == workerTid);
        var timeline = FunctionTimeline.Build(trace);
        var span = Assert.Single(timeline.Spans, s => s.FunctionId == work.Id);
        Assert.True(span.EndNs > span.StartNs);
        Assert.DoesNotContain(trace.Functions.Values, f => f.File.EndsWith("giltracer_functions.py") && f.Name.StartsWith("_Recorder"));
    }

    [Theory]
    [InlineData("3.8.18")]
    [InlineData("3.11.7")]
    [InlineData("3.12.1")]
    [InlineData("3.13.0")]
    public void ModuleWithRelativeImportsBehavesAsWithoutTheTracer(string version)
    {
        var plain = PythonVersions.Run(PythonVersions.Exe(version), ["-m", "functions_pkg", "3"], PythonVersions.Scripts);
        var traced = Traced(version, Path.Combine(_tmp, "m"), "-m", "functions_pkg", "3");
        Assert.Equal(3, plain.ExitCode);
        Assert.Equal((plain.ExitCode, plain.Stdout, plain.Stderr), (traced.ExitCode, traced.Stdout, traced.Stderr));
        Assert.Contains("hello pkg __main__ functions_pkg ['3']", traced.Stdout);
        var trace = FunctionTraceReader.Read(Path.Combine(_tmp, "m"));
        Assert.Contains(trace.Functions.Values, f => f.Name == "greet");
    }

    [Theory]
    [InlineData("3.8.18")]
    [InlineData("3.12.1")]
    public void CodeStringBehavesAsWithoutTheTracer(string version)
    {
        const string code = "import sys; print(__name__, sys.argv); sys.exit(4)";
        var plain = PythonVersions.Run(PythonVersions.Exe(version), ["-c", code, "a"], PythonVersions.Scripts);
        var traced = Traced(version, Path.Combine(_tmp, "c"), "-c", code, "a");
        Assert.Equal((4, plain.Stdout, plain.Stderr), (traced.ExitCode, traced.Stdout, traced.Stderr));
    }

    [Theory]
    [InlineData("3.10.13")]
    [InlineData("3.13.0")]
    public void CrashedProgramLeavesAUsableTraceUpToTheCrash(string version)
    {
        var dir = Path.Combine(_tmp, "crash");
        var traced = Traced(version, dir, "functions_parity.py", "--crash");
        Assert.Equal(7, traced.ExitCode);
        var trace = FunctionTraceReader.Read(dir);
        Assert.Null(trace.Stats); // no exit handler ran
        Assert.True(trace.Records.Length >= 4096, $"{trace.Records.Length} records survived"); // whole chunks were written
        Assert.All(trace.Records, r => Assert.True(r.Kind <= FunctionRecordKind.GcStop));
        Assert.Contains(trace.Records, r => trace.Function(r.Id).Name == "len");
        // every id used has its name: names are written before the records that use them
        Assert.All(trace.Records.Where(r => r.Kind <= FunctionRecordKind.Unwind), r => Assert.True(trace.Functions.ContainsKey(r.Id)));
    }

    [Theory]
    [InlineData("3.9.18")]
    [InlineData("3.12.1")]
    public void GarbageCollectionsAreRecorded(string version)
    {
        var dir = Path.Combine(_tmp, "gc");
        var r = Traced(version, dir, "-c", "import gc\nfor _ in range(3): gc.collect()");
        Assert.Equal(0, r.ExitCode);
        var trace = FunctionTraceReader.Read(dir);
        var starts = trace.Records.Where(x => x.Kind == FunctionRecordKind.GcStart && x.Id == 2).ToList();
        Assert.True(starts.Count >= 3);
        var timeline = FunctionTimeline.Build(trace);
        Assert.Contains(timeline.Spans, s => s.FunctionId == FunctionInfo.GcId(2));
    }

    [Theory]
    [InlineData("3.8.18")]
    [InlineData("3.12.1")]
    public void AForkedChildWritesNothingIntoTheParentsTrace(string version)
    {
        var dir = Path.Combine(_tmp, "fork");
        var r = Traced(version, dir, "functions_fork.py");
        Assert.Equal((0, "done\n"), (r.ExitCode, r.Stdout));
        var trace = FunctionTraceReader.Read(dir);
        // the child's ids would collide with the parent's: it must not write names or records
        Assert.DoesNotContain(trace.Functions.Values, f => f.Name == "child_work");
        var parentWork = trace.Functions.Values.Single(f => f.Name == "parent_work");
        Assert.Equal(100, trace.Records.Count(x => x.Id == parentWork.Id && x.Kind == FunctionRecordKind.Enter));
        Assert.All(trace.Records, x => Assert.Equal(trace.Pid, x.Tid)); // one thread: the parent's main thread
    }
}
