using GilTracer.Core.Pipeline;
using GilTracer.Core.Probe;

namespace GilTracer.Tests.Integration;

/// <summary>Tests that run real perf with real uprobes: one at a time (timings stay meaningful on 2 cores).</summary>
[CollectionDefinition("perf", DisableParallelization = true)]
public sealed class PerfCollection;

static class Repo
{
    public static readonly string Root = FindRoot();

    static string FindRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "GilTracer.slnx"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("repository root not found");
    }

    public static string Example(string name) => Path.Combine(Root, "examples", name);

    public static string Pyenv(string version) => $"/root/.pyenv/versions/{version}/bin/python{version[..version.LastIndexOf('.')]}";

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "giltracer-tests", Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>Runs the whole pipeline as `giltracer run` does and checks no probe of ours survived it.</summary>
    public static RunResult Run(string python, RunTarget target, string? outDir = null)
    {
        var result = RunPipeline.Run(new RunOptions(target, new OutputOptions(outDir ?? TempDir()), python));
        Assert.DoesNotContain(UprobeGroup.ListDefined(), g => g.OwnerPid == Environment.ProcessId);
        return result;
    }

    public static RunResult RunExample(string python, string example, params string[] args) =>
        Run(python, new RunTarget(TargetKind.Script, Example(example), args));
}
