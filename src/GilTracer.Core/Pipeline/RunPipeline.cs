using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Host;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using GilTracer.Core.Probe;
using GilTracer.Core.Record;

namespace GilTracer.Core.Pipeline;

/// <summary>Script, Module, Code: run by the interpreter giltracer chooses (--python). Command: `run -- COMMAND`, any
/// program, whose Pythons are found as it runs (<see cref="CommandPipeline"/>).</summary>
public enum TargetKind { Script, Module, Code, Command }

/// <summary>What `giltracer run` traces: a script, -m module or -c code, or a command (Value its first word), with its arguments.</summary>
public sealed record RunTarget(TargetKind Kind, string Value, IReadOnlyList<string> Arguments);

/// <param name="Functions">Also run the Python function tracer (python/giltracer_functions.py) for blame and flame graphs.</param>
/// <param name="Locate">Expert overrides of where to probe (--take-gil-offset, --drop-gil-offset).</param>
/// <param name="EnableSched">--state: also record sched events (system-wide, into sched.data), filtered to the program's process tree.</param>
/// <param name="ChildPythons">Other interpreters the program starts as child processes (probed too; run follows children).</param>
public sealed record RunOptions(RunTarget Target, OutputOptions Outputs, string Python = "python3", int MmapPages = RecordRequest.DefaultMmapPages,
    bool Functions = false, LocateOptions? Locate = null, bool EnableSched = false, IReadOnlyList<string>? ChildPythons = null);

/// <param name="Python">The interpreter traced (run -- COMMAND: the first Python found).</param>
public sealed record RunResult(GilReport Report, int ExitCode, PythonTarget Python)
{
    /// <summary>Every build traced (run -- COMMAND may find several); the one of <see cref="Python"/> otherwise.</summary>
    public IReadOnlyList<PythonTarget> Pythons { get; init; } = [Python];
}

/// <summary>locate → probe → record → decode → analyze → render, for a program we start ourselves.</summary>
public static class RunPipeline
{
    public static RunResult Run(RunOptions o, PipelineEvents? ev = null)
    {
        ev ??= new PipelineEvents();
        if (o.Target.Kind == TargetKind.Command) return CommandPipeline.Run(o, ev);
        if (o.Target.Kind == TargetKind.Script && !File.Exists(o.Target.Value))
            throw new GilTracerException($"script not found: {o.Target.Value}");
        HostFacts.FindPerf();
        HostFacts.RequireRoot();
        var python = ResolvePython(o.Python);
        ev.Status?.Invoke($"locating the GIL in {python}");
        var target = PythonLocator.Locate(python, o.Locate ?? new LocateOptions());
        ev.Verbose?.Invoke(ProbedRecording.Describe(target));
        foreach (var note in target.Notes) ev.Verbose?.Invoke(note);
        var sites = ProbedRecording.WithChildPythons(target, o.ChildPythons, ResolvePython, ev);

        o.Outputs.CreateDirectories();
        var boot = BootstrapFiles.Extract(o.Outputs.OutputDir);
        File.Delete(o.Outputs.ThreadNamesPath);
        File.Delete(o.Outputs.PerfDataPath);
        File.Delete(o.Outputs.SchedDataPath);
        var env = new Dictionary<string, string>
        {
            ["GILTRACER_THREADS"] = Path.GetFullPath(o.Outputs.ThreadNamesPath),
            ["PYTHONPATH"] = BootstrapFiles.PythonPath(boot), // site/sitecustomize.py names threads in every child Python
        };
        if (o.Functions)
        {
            if (Directory.Exists(o.Outputs.FunctionsDir)) Directory.Delete(o.Outputs.FunctionsDir, true);
            env["GILTRACER_EXTRA_BOOT"] = Path.Combine(Path.GetDirectoryName(boot)!, "giltracer_functions.py");
            env["GILTRACER_FUNCTIONS"] = Path.GetFullPath(o.Outputs.FunctionsDir);
        }
        var command = new List<string> { target.Executable, boot };
        if (o.Target.Kind == TargetKind.Module) command.Add("-m");
        if (o.Target.Kind == TargetKind.Code) command.Add("-c");
        command.Add(o.Target.Value);
        command.AddRange(o.Target.Arguments);

        using var watcher = new ChildPythonWatcher(sites.Select(s => s.Binary).Distinct());
        int exitCode = ProbedRecording.Record(sites, selector => new RecordRequest([selector], o.Outputs.PerfDataPath, command,
                o.MmapPages, env, SchedOutputFile: o.EnableSched ? o.Outputs.SchedDataPath : null),
            "recording (Ctrl-C stops the program and keeps what was recorded)", ev).ExitCode;
        watcher.Dispose();
        var names = ThreadNamesReader.Read(o.Outputs.ThreadNamesPath);
        FunctionTrace? functions = null;
        if (o.Functions)
        {
            functions = FunctionTraceReader.TryRead(o.Outputs.FunctionsDir);
            if (functions is null) ev.Warning?.Invoke("--functions: the function tracer wrote nothing (the program did not start?)");
        }
        var setup = new AnalysisSetup
        {
            PythonNames = names, Functions = functions, Sched = o.EnableSched, Scope = o.EnableSched ? StateScope(o.Outputs, ev) : null,
        };
        var report = ProbedRecording.Report(o.Outputs, setup, exitCode,
            $"perf recorded nothing (exit code {exitCode}); run with --verbose to see the perf command", ev,
            notes: watcher.Warnings().ToList(),
            schedData: o.EnableSched && File.Exists(o.Outputs.SchedDataPath) ? o.Outputs.SchedDataPath : null,
            python: new TracedPython(target.Executable, target.Version));
        return new RunResult(report, exitCode, target);
    }

    /// <summary>The sched recording is system-wide: keep the process tree of the pids the bootstrap reported.</summary>
    static TaskScope StateScope(OutputOptions outputs, PipelineEvents ev)
    {
        var roots = ThreadNamesReader.ReadProcessIds(outputs.ThreadNamesPath);
        if (roots.Count == 0)
            ev.Warning?.Invoke("the program reported no threads (did it start?): no thread states; other processes are left out");
        return TaskScope.Tree(roots);
    }

    /// <summary>pyenv shims and bare names resolve through PATH; the interpreter itself then reports its real path.</summary>
    static string ResolvePython(string python)
    {
        if (python.Contains('/'))
            return File.Exists(python) ? python : throw new GilTracerException($"Python not found: {python}");
        return HostFacts.FindOnPath(python) ?? throw new GilTracerException($"'{python}' not found on PATH; pass --python PATH");
    }
}
