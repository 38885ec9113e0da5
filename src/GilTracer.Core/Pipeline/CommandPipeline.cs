using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Host;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using GilTracer.Core.Record;

namespace GilTracer.Core.Pipeline;

/// <summary>
/// `giltracer run [options] -- COMMAND [ARGS…]`: any command (a Python, `uvicorn app:app`, `bash start.sh`,
/// `chroot ROOT python3 app.py`, `unshare --pid --fork chroot ROOT …`), every Python of its process tree traced from
/// its start, one GIL per process. What can be resolved before the run is probed before it (the command's program
/// through PATH, `#!` lines, env, chroot and unshare: <see cref="CommandResolver"/>) and recorded from the command's
/// first instruction; a Python found only when it execs is held there until its probes record (<see
/// cref="ProcessTreeTracer"/>, <see cref="CommandProber"/>). Thread names: our site folder on PYTHONPATH names the
/// threads of every host Python (as run does for its children); elsewhere the kernel's.
/// </summary>
public static class CommandPipeline
{
    public static RunResult Run(RunOptions o, PipelineEvents? ev = null)
    {
        ev ??= new PipelineEvents();
        var command = new[] { o.Target.Value }.Concat(o.Target.Arguments).ToList();
        var locate = o.Locate ?? new LocateOptions();
        if (locate.TakeGilOffset is not null || locate.DropGilOffset is not null)
            throw new GilTracerException("--take-gil-offset and --drop-gil-offset apply to one interpreter (run script.py, -m, -c), not to run -- COMMAND", 2);
        var program = CommandResolver.Resolve(command);
        HostFacts.FindPerf();
        HostFacts.RequireRoot();

        o.Outputs.CreateDirectories();
        var boot = BootstrapFiles.Extract(o.Outputs.OutputDir);
        var siteDir = BootstrapFiles.SiteDir(boot);
        File.Delete(o.Outputs.ThreadNamesPath);
        File.Delete(o.Outputs.SchedDataPath);
        foreach (var old in Directory.GetFiles(o.Outputs.OutputDir, "perf*.data")) File.Delete(old); // perf.data, perf-PID.data
        var env = new Dictionary<string, string>
        {
            ["GILTRACER_THREADS"] = Path.GetFullPath(o.Outputs.ThreadNamesPath),
            ["PYTHONPATH"] = BootstrapFiles.PythonPath(boot), // site/sitecustomize.py names threads in every host Python
        };
        var notes = new List<string>();
        if (o.Functions)
        {
            if (Directory.Exists(o.Outputs.FunctionsDir)) Directory.Delete(o.Outputs.FunctionsDir, true);
            if (program is { InOtherRoot: true })
                notes.Add($"--functions: the command runs {program.PathInRoot} in another root ({program.Root}), where the function tracer cannot be loaded (nothing is written there): recorded without it");
            else
            {
                // The first host Python of the command to start loads the function tracer through the site hook.
                env["GILTRACER_SITE_BOOT"] = Path.Combine(Path.GetDirectoryName(boot)!, "giltracer_functions.py");
                env["GILTRACER_FUNCTIONS"] = Path.GetFullPath(o.Outputs.FunctionsDir);
            }
        }
        if (program is not null) ev.Verbose?.Invoke($"the command runs {program.HostPath}{(program.Steps.Count > 0 ? " (" + string.Join(" → ", program.Steps) + ")" : "")}");

        using var jobs = new BlockingCollection<Action>();
        TaskRecorder OnPipelineThread(Func<TaskRecorder> start)
        {
            TaskRecorder? result = null;
            Exception? error = null;
            using var done = new ManualResetEventSlim();
            jobs.Add(() =>
            {
                try { result = start(); } catch (Exception e) { error = e; }
                done.Set();
            });
            done.Wait();
            return error is null ? result! : throw (error is GilTracerException ? error : new GilTracerException(error.Message, 1, error));
        }

        int exitCode;
        var prober = new CommandProber(o, locate, ev, OnPipelineThread, siteDir);
        try
        {
            ev.Status?.Invoke("locating the GIL in the command's Python");
            var early = prober.Prepare(program, o.ChildPythons ?? []);
            using var sched = o.EnableSched ? SchedRecorder.Start(o.Outputs.SchedDataPath, o.MmapPages, ev.Verbose) : null;
            var tracer = ProcessTreeTracer.Start(command, env, prober);
            TaskRecorder? first = null;
            try
            {
                if (early.Count > 0) first = TaskRecorder.Start(tracer.Pid, prober.Selectors(early), o.Outputs.PerfDataPath, o.MmapPages, ev.Verbose);
            }
            catch
            {
                Libc.Kill(tracer.Pid, Libc.SIGKILL);
                tracer.Go();
                tracer.WaitForExit();
                throw;
            }
            prober.Started(tracer.Pid, first, early);
            ev.Status?.Invoke("recording (Ctrl-C stops the program and keeps what was recorded)");
            using (Signals(tracer))
            {
                tracer.Go();
                // Perf processes start here, on the thread that waits for them, while the tracer holds the process.
                while (!tracer.Done.WaitOne(0))
                    if (jobs.TryTake(out var job, 20)) job();
                while (jobs.TryTake(out var late)) late();
                exitCode = tracer.WaitForExit();
            }
            ev.Verbose?.Invoke($"ptrace: {tracer.Stops} stops handled in {tracer.CpuTime.TotalMilliseconds:F0} ms of CPU; {prober.Recorders.Count} perf recording(s)");
        }
        finally
        {
            prober.Dispose(); // every perf stopped, then the probes removed, before decoding
        }
        return Report(o, ev, prober, exitCode, notes);
    }

    static RunResult Report(RunOptions o, PipelineEvents ev, CommandProber prober, int exitCode, List<string> notes)
    {
        var pythons = prober.Pythons;
        if (pythons.Count == 0)
            throw new GilTracerException(prober.Warnings.FirstOrDefault(w => w.Contains("not traced")) ??
                                         $"the command ran no Python (exit code {exitCode}): nothing to trace");
        FunctionTrace? functions = null;
        if (o.Functions && !notes.Any(n => n.StartsWith("--functions")))
        {
            functions = FunctionTraceReader.TryRead(o.Outputs.FunctionsDir);
            if (functions is null)
                notes.Add("--functions: no Python of the command loaded the function tracer (the first host Python does, through the site hook: not one run with -S, -I or a cleared environment)");
        }
        var setup = new AnalysisSetup
        {
            PythonNames = prober.HostNames(ThreadNamesReader.ReadEntries(o.Outputs.ThreadNamesPath)),
            Functions = functions,
            Sched = o.EnableSched,
            // The Python processes and what they start, as run --state keeps (the launchers before them are not the program).
            Scope = o.EnableSched ? TaskScope.Tree(pythons.Select(p => p.Pid).Distinct()) : null,
        };
        var executables = pythons.Select(p => p.Target.Executable).Distinct().ToList();
        var first = pythons[0].Target;
        var report = ProbedRecording.Report(o.Outputs, setup, exitCode,
            $"perf recorded nothing (exit code {exitCode}); run with --verbose to see the perf commands", ev,
            notes: [.. prober.Warnings, .. notes],
            schedData: o.EnableSched && File.Exists(o.Outputs.SchedDataPath) ? o.Outputs.SchedDataPath : null,
            python: executables.Count == 1 ? new TracedPython(first.Executable, first.Version) : null,
            perfData: prober.Recorders.Select(r => r.OutputFile).ToList());
        return new RunResult(report, exitCode, first) { Pythons = prober.Builds };
    }

    /// <summary>
    /// Ctrl-C at the terminal reaches the program (it shares our process group) and us: we stay alive to keep what was
    /// recorded (perf runs in a session of its own). A SIGINT sent to us alone is passed to the command's processes; a
    /// second one kills them. SIGTERM and SIGHUP end them.
    /// </summary>
    static IDisposable Signals(ProcessTreeTracer tree)
    {
        int interrupts = 0;
        bool ForegroundOfTerminal() => Libc.TcGetPgrp(0) is var fg && fg > 0 && fg == Libc.GetPgrp();
        var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, ctx =>
        {
            ctx.Cancel = true;
            if (Interlocked.Increment(ref interrupts) > 1) tree.Signal(Libc.SIGKILL);
            else if (!ForegroundOfTerminal()) tree.Signal(Libc.SIGINT);
        });
        var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; tree.Signal(Libc.SIGTERM); });
        var onHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, ctx => { ctx.Cancel = true; tree.Signal(Libc.SIGTERM); });
        return new Registrations([onInt, onTerm, onHup]);
    }

    sealed class Registrations(IDisposable[] items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var i in items) i.Dispose();
        }
    }
}
