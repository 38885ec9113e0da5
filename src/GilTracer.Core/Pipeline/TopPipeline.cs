using System.Runtime.InteropServices;
using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Host;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using GilTracer.Core.Probe;
using GilTracer.Core.Record;
using GilTracer.Core.Render;

namespace GilTracer.Core.Pipeline;

/// <summary>What `giltracer top` watches (a PID, or a program it starts) and how.</summary>
public sealed record TopOptions
{
    public int? Pid { get; init; }
    public TopProgram? Program { get; init; }
    public double IntervalSeconds { get; init; } = 1;
    public double? DurationSeconds { get; init; }
    /// <summary>JSON lines [pid, native_id, name], followed as it grows (top PID; top -- COMMAND has the bootstrap's).</summary>
    public string? NamesFile { get; init; }
    public MetricsEndpoint? Metrics { get; init; }
    public int MmapPages { get; init; } = RecordRequest.DefaultMmapPages;
    public LocateOptions? Locate { get; init; }
}

/// <summary>The frames as they come, and when to stop early (q, Ctrl-C).</summary>
public sealed class TopHooks
{
    /// <summary>The process watched, once perf records it (top -- COMMAND learns it only then).</summary>
    public Action<int>? Started { get; init; }
    public Action<LiveFrame>? Frame { get; init; }
    public Func<bool>? StopRequested { get; init; }
    /// <summary>Lines the user needs whatever the verbosity (where the metrics are served).</summary>
    public Action<string>? Note { get; init; }
}

/// <summary>The session's report (as attach's), the exit code (the program's for top -- COMMAND) and whether the target ended.</summary>
public sealed record TopResult(GilReport Report, int ExitCode, bool TargetExited, int Pid);

/// <summary>locate → probe → `perf record -o -` → pipe reader → live analysis → frames and /metrics, until stopped or the target ends.</summary>
public static class TopPipeline
{
    public static TopResult Run(TopOptions o, TopHooks hooks, PipelineEvents? ev = null)
    {
        ev ??= new PipelineEvents();
        if (o.IntervalSeconds is not (>= 0.1 and <= 3600)) throw new GilTracerException("--interval must be between 0.1 and 3600 seconds", 2);
        if (o.DurationSeconds is <= 0) throw new GilTracerException("--duration must be a positive number of seconds", 2);
        if (o.Pid is { } pid)
        {
            if (pid == Environment.ProcessId) throw new GilTracerException($"process {pid} is giltracer itself, not Python");
            if (pid <= 0 || !Directory.Exists($"/proc/{pid}")) throw new GilTracerException($"no process with pid {pid}");
        }
        HostFacts.FindPerf();
        HostFacts.RequireRoot();
        using var metrics = o.Metrics is { } endpoint ? new MetricsServer(endpoint) : null;
        if (metrics is not null) hooks.Note?.Invoke($"serving metrics at {metrics.Endpoint.Url} (OpenMetrics, or Prometheus text when the scraper does not ask for it)");
        return o.Program is { } program ? RunProgram(o, program, hooks, metrics, ev) : Watch(o, o.Pid!.Value, hooks, metrics, ev, null);
    }

    /// <summary>
    /// top -- COMMAND: the command starts held (the shell that will exec it), is released once perf records it; its
    /// exit code is top's. A Python form runs through our bootstrap; another command runs as given, its Python located
    /// before it starts (the file its first process will exec, perhaps in another root).
    /// </summary>
    static TopResult RunProgram(TopOptions o, TopProgram program, TopHooks hooks, MetricsServer? metrics, PipelineEvents ev)
    {
        if (program.Target.Kind == TargetKind.Script && !File.Exists(program.Target.Value))
            throw new GilTracerException($"script not found: {program.Target.Value}");
        var locate = o.Locate ?? new LocateOptions();
        PythonTarget target;
        if (program.Resolved is { } resolved)
        {
            ev.Status?.Invoke($"locating the GIL in {resolved.HostPath}");
            if (resolved.Steps.Count > 0) ev.Verbose?.Invoke($"the command runs {resolved.HostPath} ({string.Join(" → ", resolved.Steps)})");
            var image = PythonImage.Of(resolved.HostPath);
            var gil = resolved.GilBinary(image, Environment.GetEnvironmentVariable("LD_LIBRARY_PATH"))
                ?? throw new GilTracerException($"{resolved.HostPath} needs {image.LibPython}, which is not where its loader would look (RPATH, LD_LIBRARY_PATH, " +
                                                "RUNPATH, the default folders; ld.so.cache is not read): giltracer run -- COMMAND finds it once mapped");
            target = ProcessLocator.LocateFile(gil, locate.InRoot(resolved.Root)) with { Executable = resolved.HostPath };
            foreach (var warning in target.Warnings) ev.Warning?.Invoke(warning);
        }
        else
        {
            ev.Status?.Invoke($"locating the GIL in {program.Python}");
            target = PythonLocator.Locate(program.Python, locate);
        }
        var work = Directory.CreateTempSubdirectory("giltracer-top-");
        try
        {
            var boot = BootstrapFiles.Extract(work.FullName);
            var names = Path.Combine(work.FullName, "threads.jsonl");
            var env = new Dictionary<string, string>();
            if (BootstrapFiles.SiteVisibleFrom(program.Resolved?.Root ?? "/", BootstrapFiles.SiteDir(boot)))
            {
                env["GILTRACER_THREADS"] = names;
                env["PYTHONPATH"] = BootstrapFiles.PythonPath(boot); // for a command, site/sitecustomize.py names the threads
                o = o with { NamesFile = names };
            }
            else if (!target.NamesOsThreads)
                ev.Warning?.Invoke($"threads of {target.Executable} are named by the kernel and told apart by tid: {BootstrapFiles.UnreachedHookReason}");
            using var held = HeldProgram.Start(program.Argv(target.Executable, boot), env, ev.Verbose);
            var result = Watch(o, held.Pid, hooks, metrics, ev, (target, held));
            // Stopped early (q, --duration): the program is asked to stop as Ctrl-C would, then killed.
            var code = held.WaitForExit(TimeSpan.FromSeconds(result.TargetExited ? 5 : 1));
            if (code is null)
            {
                held.Interrupt();
                code = held.WaitForExit(TimeSpan.FromSeconds(5));
            }
            if (code is null) held.Dispose();
            return result with { ExitCode = code ?? 128 + 9 };
        }
        finally
        {
            try { work.Delete(true); } catch (IOException) { }
        }
    }

    static TopResult Watch(TopOptions o, int pid, TopHooks hooks, MetricsServer? metrics, PipelineEvents ev, (PythonTarget Target, HeldProgram Program)? started)
    {
        PythonTarget target;
        if (started is { } s) target = s.Target;
        else
        {
            ev.Status?.Invoke($"locating the GIL in process {pid}");
            target = ProcessLocator.Locate(pid, o.Locate);
            foreach (var warning in target.Warnings) ev.Warning?.Invoke(warning);
        }
        ev.Verbose?.Invoke(ProbedRecording.Describe(target));
        using var group = UprobeGroup.Create(target.Sites);
        ev.Verbose?.Invoke($"uprobe group {group.Name}: {string.Join(", ", group.Events)}");
        using var perf = PerfStream.Start(new StreamRequest([group.Selector], pid, o.MmapPages), ev.Verbose);
        if (!perf.Enable(TimeSpan.FromSeconds(60)))
        {
            if (!Directory.Exists($"/proc/{pid}")) throw new GilTracerException($"process {pid} exited before the recording started");
            var why = perf.ErrorLines.LastOrDefault();
            throw new GilTracerException($"perf could not attach to process {pid}{(why is null ? "" : ": " + why)}");
        }
        long startNs = PerfControl.MonotonicNs();
        var aliveAtStart = ProcessLocator.Threads(pid).Keys.ToHashSet();
        started?.Program.Release();
        hooks.Started?.Invoke(pid);

        var live = new LiveAnalysis(new AnalysisSetup { Window = new RecordingWindow(startNs, startNs, aliveAtStart, new HashSet<int>()) },
            startNs, (long)(o.IntervalSeconds * 1e9));
        var reader = new PerfPipeReader { Input = $"perf record -p {pid}" };
        var names = o.NamesFile is null ? null : new ThreadNamesTail(o.NamesFile);
        var hostTids = ProcessLocator.HostTids(pid);
        if (metrics is not null) live.AddSink(metrics.Metrics);
        long nextNames = 0;
        ev.Status?.Invoke(o.DurationSeconds is { } d ? $"watching process {pid} for {d} s" : $"watching process {pid} until it exits (q or Ctrl-C stops)");

        int interrupted = 0;
        void Interrupt(PosixSignalContext ctx)
        {
            ctx.Cancel = true; // stay alive: the session's table and the probes' removal come next
            Interlocked.Exchange(ref interrupted, 1);
        }
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
        using var onHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Interrupt);
        var end = LiveRecording.Run(perf, reader, live, new LiveLoopHooks
        {
            Frame = hooks.Frame,
            StopRequested = () => Volatile.Read(ref interrupted) != 0 || hooks.StopRequested?.Invoke() == true,
            StopAtNs = o.DurationSeconds is { } seconds ? startNs + (long)(seconds * 1e9) : null,
            Turn = analysis =>
            {
                metrics?.AnswerPending(analysis.Snapshot);
                if (names is null || analysis.WatermarkNs < nextNames) return;
                nextNames = analysis.WatermarkNs + LiveAnalysis.SecondNs / 2;
                var fresh = names.ReadNew();
                if (fresh.Count > 0 && fresh.Any(n => !hostTids.ContainsKey(n.Tid)))
                    foreach (var (inner, host) in ProcessLocator.HostTids(pid)) hostTids[inner] = host;
                foreach (var n in fresh) analysis.SetPythonThreadName(hostTids.GetValueOrDefault(n.Tid, n.Tid), n.Name);
            },
        });
        if (names is not null)
            foreach (var n in names.ReadNew()) live.SetPythonThreadName(hostTids.GetValueOrDefault(n.Tid, n.Tid), n.Name);
        metrics?.AnswerPending(live.Snapshot);

        // perf ends by itself when the process's last task closes its events, a moment before the process is a zombie
        bool exited = end.PerfEnded && SpinWait.SpinUntil(() => Gone(pid), 1000) || started is { } p && p.Program.HasExited;
        if (end.PerfEnded && !exited && perf.ErrorLines.LastOrDefault() is { } error) ev.Warning?.Invoke($"perf ended: {error}");
        var aliveAtEnd = exited ? new HashSet<int>() : ProcessLocator.Threads(pid).Keys.ToHashSet();
        if (end.PingsUnanswered > 0) ev.Verbose?.Invoke($"perf left {end.PingsUnanswered} pings unanswered for 5 s (busy)");
        ev.Verbose?.Invoke($"{reader.Events} events ({reader.LostEvents} lost), {reader.Fed} bytes from perf; analysis behind the clock by p50 {DurationText.Fixed(end.Lag.Percentile(0.5), 1)}, " +
                           $"p99 {DurationText.Fixed(end.Lag.Percentile(0.99), 1)}, max {DurationText.Fixed(end.Lag.Max, 1)}");
        var report = live.Finish(new RecordingWindow(startNs, Math.Max(end.WatermarkNs, startNs), aliveAtStart, aliveAtEnd), new ReportContext
        {
            DecodeWarnings = reader.Result.Warnings,
            WhenNoThreads = $"no GIL events from process {pid}: its threads did not touch the GIL while watched, or the probes did not fire",
        });
        return new TopResult(report, 0, exited, pid);
    }

    /// <summary>The process has ended: no longer in /proc, or a zombie its parent has not reaped yet.</summary>
    static bool Gone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return true; }
    }
}
