using System.Runtime.InteropServices;
using GilTracer.Core.Model;

namespace GilTracer.Core.Record;

/// <summary>
/// perf record's control FIFOs (`-D -1 --control fifo:CTL,ACK`): perf opens its events disabled and enables
/// them on our command, acknowledging when they are live. That tells an attach exactly when the recording
/// started (the clipping edge) and when it is safe to run what should be traced (the IPython cell).
/// Raw fds: both FIFOs are opened O_RDWR, which never blocks on Linux, so a perf that dies early cannot hang us.
/// </summary>
public sealed partial class PerfControl : IDisposable
{
    [LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int MkFifo(string path, uint mode);
    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);
    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(int fd, byte* buf, nint count);
    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint Read(int fd, byte* buf, nint count);
    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int Poll(PollFd* fds, nuint nfds, int timeoutMs);
    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static unsafe partial int ClockGetTime(int clock, TimeSpec* ts);

    [StructLayout(LayoutKind.Sequential)]
    struct PollFd { public int Fd; public short Events; public short Revents; }
    [StructLayout(LayoutKind.Sequential)]
    struct TimeSpec { public long Sec; public long Nsec; }

    const int O_RDWR = 2, O_CLOEXEC = 0x80000, POLLIN = 1, CLOCK_MONOTONIC = 1;

    readonly string _dir;
    readonly int _ctl, _ack;

    public string CtlPath => Path.Combine(_dir, "ctl");
    public string AckPath => Path.Combine(_dir, "ack");
    /// <summary>The perf record arguments that hand control to us.</summary>
    public IEnumerable<string> PerfArguments => ["-D", "-1", "--control", $"fifo:{CtlPath},{AckPath}"];

    public PerfControl()
    {
        _dir = Directory.CreateTempSubdirectory("giltracer-ctl-").FullName;
        if (MkFifo(CtlPath, 0x180) != 0 || MkFifo(AckPath, 0x180) != 0)
            throw new GilTracerException($"cannot create perf control FIFOs in {_dir} (errno {Marshal.GetLastPInvokeError()})");
        _ctl = Open(CtlPath, O_RDWR | O_CLOEXEC);
        _ack = Open(AckPath, O_RDWR | O_CLOEXEC);
        if (_ctl < 0 || _ack < 0) throw new GilTracerException($"cannot open perf control FIFOs in {_dir}");
    }

    /// <summary>CLOCK_MONOTONIC now, the clock perf records with (-k CLOCK_MONOTONIC).</summary>
    public static unsafe long MonotonicNs()
    {
        TimeSpec ts;
        ClockGetTime(CLOCK_MONOTONIC, &ts);
        return ts.Sec * 1_000_000_000 + ts.Nsec;
    }

    /// <summary>Sends "enable" and waits for perf's ack; false when perf ended (or took over a minute) first.</summary>
    public unsafe bool Enable(Func<bool> perfAlive, TimeSpan timeout)
    {
        var cmd = "enable\n"u8;
        fixed (byte* p = cmd)
            if (Write(_ctl, p, cmd.Length) != cmd.Length) return false;
        var deadline = DateTime.UtcNow + timeout;
        var buf = stackalloc byte[16];
        while (DateTime.UtcNow < deadline)
        {
            var fd = new PollFd { Fd = _ack, Events = POLLIN };
            if (Poll(&fd, 1, 50) > 0 && (fd.Revents & POLLIN) != 0)
                return Read(_ack, buf, 16) > 0; // "ack\n"
            if (!perfAlive()) return false;
        }
        return false;
    }

    public void Dispose()
    {
        Close(_ctl);
        Close(_ack);
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
