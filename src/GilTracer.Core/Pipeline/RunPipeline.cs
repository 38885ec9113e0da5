using GilTracer.Core.Decode;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using GilTracer.Core.Probe;
using GilTracer.Core.Record;

namespace GilTracer.Core.Pipeline;

public enum TargetKind { Script, Module, Code }

/// <summary>What `giltracer run` traces: a script, -m module or -c code, with its arguments.</summary>
public sealed record RunTarget(TargetKind Kind, string Value, IReadOnlyList<string> Arguments);

public sealed record RunOptions(RunTarget Target, OutputOptions Outputs, string Python = "python3", int MmapPages = 2048,
    /// <summary>Other interpreters the program starts as child processes (probed too; run follows children).</summary>
    IReadOnlyList<string>? ChildPythons = null);

public sealed record RunResult(GilReport Report, int ExitCode, PythonTarget Python);

/// <summary>locate → probe → record → decode → analyze → render, for a program we start ourselves.</summary>
public static class RunPipeline
{
    public static RunResult Run(RunOptions o, PipelineEvents? ev = null)
    {
        ev ??= new PipelineEvents();
        if (o.Target.Kind == TargetKind.Script && !File.Exists(o.Target.Value))
            throw new GilTracerException($"script not found: {o.Target.Value}");
        SystemChecks.FindPerf();
        SystemChecks.RequireRoot();
        var python = ResolvePython(o.Python);
        ev.Status?.Invoke($"locating the GIL in {python}");
        var target = PythonLocator.Locate(python);
        ev.Verbose?.Invoke(ProbedRecording.Describe(target));
        var sites = ProbedRecording.WithChildPythons(target, o.ChildPythons, ResolvePython, ev);

        o.Outputs.CreateDirectories();
        var boot = BootstrapFiles.Extract(o.Outputs.OutputDir);
        File.Delete(o.Outputs.ThreadNamesPath);
        File.Delete(o.Outputs.PerfDataPath);
        var command = new List<string> { target.Executable, boot };
        if (o.Target.Kind == TargetKind.Module) command.Add("-m");
        if (o.Target.Kind == TargetKind.Code) command.Add("-c");
        command.Add(o.Target.Value);
        command.AddRange(o.Target.Arguments);

        using var watcher = new ChildPythonWatcher(sites.Select(s => s.Binary).Distinct());
        int exitCode = ProbedRecording.Record(sites, selector => new RecordRequest([selector], o.Outputs.PerfDataPath, command, o.MmapPages,
                new Dictionary<string, string>
                {
                    ["GILTRACER_THREADS"] = Path.GetFullPath(o.Outputs.ThreadNamesPath),
                    ["PYTHONPATH"] = BootstrapFiles.PythonPath(boot),
                }),
            "recording (Ctrl-C stops the program and keeps what was recorded)", ev).ExitCode;
        var names = ThreadNamesReader.Read(o.Outputs.ThreadNamesPath);
        watcher.Dispose();
        var report = ProbedRecording.Decode(o.Outputs, names, exitCode, null,
            $"perf recorded nothing (exit code {exitCode}); run with --verbose to see the perf command", ev, watcher.Warnings().ToList());
        return new RunResult(report, exitCode, target);
    }

    /// <summary>pyenv shims and bare names resolve through PATH; the interpreter itself then reports its real path.</summary>
    static string ResolvePython(string python)
    {
        if (python.Contains('/'))
            return File.Exists(python) ? python : throw new GilTracerException($"Python not found: {python}");
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            var p = Path.Combine(dir, python);
            if (File.Exists(p)) return p;
        }
        throw new GilTracerException($"'{python}' not found on PATH; pass --python PATH");
    }
}
