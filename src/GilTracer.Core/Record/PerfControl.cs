using System.Runtime.InteropServices;
using GilTracer.Core.Host;
using GilTracer.Core.Model;

namespace GilTracer.Core.Record;

/// <summary>
/// perf record's control FIFOs (`-D -1 --control fifo:CTL,ACK`): perf opens its events disabled and enables
/// them on our command, acknowledging when they are live. That tells an attach exactly when the recording
/// started (the clipping edge) and when it is safe to run what should be traced (the IPython cell).
/// Raw fds: both FIFOs are opened O_RDWR, which never blocks on Linux, so a perf that dies early cannot hang us.
/// The FIFOs' folder is deleted once perf has opened them; it is named after our pid, so one left by a giltracer
/// SIGKILLed while perf was starting is deleted by the next.
/// </summary>
public sealed class PerfControl : IDisposable
{
    const string DirPrefix = "giltracer-ctl-";
    readonly string _dir;
    readonly int _ctl, _ack;

    public string CtlPath => Path.Combine(_dir, "ctl");
    public string AckPath => Path.Combine(_dir, "ack");
    /// <summary>The perf record arguments that hand control to us.</summary>
    public IEnumerable<string> PerfArguments => ["-D", "-1", "--control", $"fifo:{CtlPath},{AckPath}"];

    public PerfControl()
    {
        RemoveStale();
        _dir = Directory.CreateTempSubdirectory($"{DirPrefix}{Environment.ProcessId}-").FullName;
        if (Libc.MkFifo(CtlPath, 0x180) != 0 || Libc.MkFifo(AckPath, 0x180) != 0)
            throw new GilTracerException($"cannot create perf control FIFOs in {_dir} (errno {Marshal.GetLastPInvokeError()})");
        _ctl = Libc.Open(CtlPath, Libc.O_RDWR | Libc.O_CLOEXEC);
        _ack = Libc.Open(AckPath, Libc.O_RDWR | Libc.O_CLOEXEC);
        if (_ctl < 0 || _ack < 0) throw new GilTracerException($"cannot open perf control FIFOs in {_dir}");
    }

    /// <summary>CLOCK_MONOTONIC now, the clock perf records with (-k CLOCK_MONOTONIC).</summary>
    public static unsafe long MonotonicNs()
    {
        Libc.TimeSpec ts;
        Libc.ClockGetTime(Libc.CLOCK_MONOTONIC, &ts);
        return ts.Sec * 1_000_000_000 + ts.Nsec;
    }

    /// <summary>The acknowledgement FIFO, for a caller that polls it beside other fds (a live recording's pings).</summary>
    public int AckFd => _ack;

    /// <summary>Sends a command without waiting for its acknowledgement ("ping": perf acks it, then reads its ring buffers).</summary>
    public unsafe bool Send(string command)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(command + "\n");
        fixed (byte* p = bytes) return Libc.Write(_ctl, p, bytes.Length) == bytes.Length;
    }

    /// <summary>Takes the acknowledgement poll said is waiting on <see cref="AckFd"/>.</summary>
    public unsafe bool TakeAck()
    {
        var buf = stackalloc byte[16];
        return Libc.Read(_ack, buf, 16) > 0;
    }

    /// <summary>Sends "enable" and waits for perf's ack; false when perf ended (or the timeout passed) first.
    /// <paramref name="whileWaiting"/> runs at every turn of the wait (a pipe-mode perf must have its output read).</summary>
    public unsafe bool Enable(Func<bool> perfAlive, TimeSpan timeout, Action? whileWaiting = null)
    {
        var cmd = "enable\n"u8;
        fixed (byte* p = cmd)
            if (Libc.Write(_ctl, p, cmd.Length) != cmd.Length) return false;
        var deadline = DateTime.UtcNow + timeout;
        var buf = stackalloc byte[16];
        while (DateTime.UtcNow < deadline)
        {
            whileWaiting?.Invoke();
            var fd = new Libc.PollFd { Fd = _ack, Events = Libc.POLLIN };
            if (Libc.Poll(&fd, 1, whileWaiting is null ? 50 : 5) > 0 && (fd.Revents & Libc.POLLIN) != 0)
            {
                bool acked = Libc.Read(_ack, buf, 16) > 0; // "ack\n"
                DeleteFolder(); // perf holds both FIFOs open now: nothing is left behind even if we are SIGKILLed
                return acked;
            }
            if (!perfAlive()) return false;
        }
        return false;
    }

    /// <summary>Deletes the FIFO folders of giltracers that are gone ("giltracer-ctl-PID-xxxx").</summary>
    static void RemoveStale()
    {
        try
        {
            foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), DirPrefix + "*"))
            {
                var pid = Path.GetFileName(dir)[DirPrefix.Length..].Split('-')[0];
                if (int.TryParse(pid, out var owner) && owner > 0 && !Directory.Exists($"/proc/{owner}"))
                    try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    public void Dispose()
    {
        Libc.Close(_ctl);
        Libc.Close(_ack);
        DeleteFolder();
    }

    void DeleteFolder()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
