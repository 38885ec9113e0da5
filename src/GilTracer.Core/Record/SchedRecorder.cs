using System.Diagnostics;
using System.Runtime.InteropServices;
using GilTracer.Core.Model;

namespace GilTracer.Core.Record;

/// <summary>
/// The system-wide sched recording of `run --state`, a second `perf record -a` beside the per-task one that runs the
/// program. Sched events must be recorded system-wide: a thread's switch-in is recorded in the context of the task it
/// replaces and its wakeup in the waker's (a timer interrupt in whatever runs), so a per-task recording misses most of
/// them. The GIL uprobes stay per-task: recorded with -a they would fire in every process that maps the same
/// libpython (seen here: 47k hits from another test's Python in 0.7 s), slowing those processes and filling the
/// buffers. Both use CLOCK_MONOTONIC, so the two streams merge by timestamp. This one starts with its events
/// disabled and is enabled through perf's control FIFO; the ack means it records before the program starts.
/// </summary>
public sealed class SchedRecorder : IDisposable
{
    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    static extern int MkFifo(string path, uint mode);

    [DllImport("libc", EntryPoint = "kill")]
    static extern int Kill(int pid, int sig);

    const int SIGINT = 2;
    static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    readonly Process _perf;
    readonly string _fifoDir;
    readonly Task<string> _stderr;

    SchedRecorder(Process perf, string fifoDir, Task<string> stderr)
    {
        _perf = perf;
        _fifoDir = fifoDir;
        _stderr = stderr;
    }

    /// <summary>Starts perf and returns once it records (or throws with perf's own message).</summary>
    public static SchedRecorder Start(string outputFile, int mmapPages, Action<string>? log = null)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"giltracer-sched-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(dir);
        string ctl = Path.Combine(dir, "ctl"), ack = Path.Combine(dir, "ack");
        if (MkFifo(ctl, 0x180) != 0 || MkFifo(ack, 0x180) != 0)
            throw new GilTracerException($"cannot create the control FIFOs for perf in {dir} (errno {Marshal.GetLastWin32Error()})");

        var psi = new ProcessStartInfo(SystemChecks.FindPerf()) { UseShellExecute = false, RedirectStandardError = true };
        foreach (var a in new[] { "record", "-q", "-a", "-k", "CLOCK_MONOTONIC", "-m", mmapPages.ToString(), "-D", "-1",
                                  "--control", $"fifo:{ctl},{ack}", "-o", outputFile })
            psi.ArgumentList.Add(a);
        foreach (var e in PerfRecorder.SchedEvents) { psi.ArgumentList.Add("-e"); psi.ArgumentList.Add(e); }
        log?.Invoke("$ " + string.Join(' ', psi.ArgumentList));
        Process perf;
        try { perf = Process.Start(psi)!; }
        catch (Exception e) { throw new GilTracerException($"cannot start perf: {e.Message}"); }
        var recorder = new SchedRecorder(perf, dir, perf.StandardError.ReadToEndAsync());
        try
        {
            // Opening a FIFO blocks until perf opens the other end: do it aside, and give up if perf dies first.
            var enable = Task.Run(() =>
            {
                using var w = new FileStream(ctl, FileMode.Open, FileAccess.Write);
                using var r = new FileStream(ack, FileMode.Open, FileAccess.Read);
                w.Write("enable\n"u8);
                w.Flush();
                var buf = new byte[16];
                return r.Read(buf) > 0;
            });
            var deadline = DateTime.UtcNow + StartTimeout;
            while (!enable.IsCompleted && !perf.HasExited && DateTime.UtcNow < deadline) enable.Wait(50);
            if (!enable.IsCompleted || !enable.Result)
                throw new GilTracerException(perf.HasExited
                    ? $"perf could not record sched events: {FirstLine(recorder._stderr.Result)}"
                    : "perf did not start recording sched events within 20 s");
        }
        catch
        {
            recorder.Dispose();
            throw;
        }
        return recorder;
    }

    /// <summary>Stops recording (SIGINT makes perf write its file) and waits for perf.</summary>
    public void Stop()
    {
        if (_perf.HasExited) return;
        Kill(_perf.Id, SIGINT);
        if (!_perf.WaitForExit(TimeSpan.FromSeconds(30))) _perf.Kill();
        _perf.WaitForExit();
    }

    public void Dispose()
    {
        try { Stop(); } catch (InvalidOperationException) { }
        _perf.Dispose();
        try { Directory.Delete(_fifoDir, true); } catch (IOException) { }
    }

    static string FirstLine(string text) =>
        text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "(no message)";
}
