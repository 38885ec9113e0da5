using System.Diagnostics;
using System.IO.Pipes;
using GilTracer.Core.Host;
using GilTracer.Core.Model;

namespace GilTracer.Core.Record;

/// <summary>What a live recording records: the probes' selector, the process, perf's ring buffer per CPU.</summary>
public sealed record StreamRequest(IReadOnlyList<string> Events, int Pid, int MmapPages = RecordRequest.DefaultMmapPages);

/// <summary>
/// `perf record -o - -p PID` for a recording that goes on (top): perf writes pipe-mode perf.data to our end of its
/// stdout, so nothing reaches the disk and memory stays what the reader keeps. It starts with its events disabled
/// and is driven through its control FIFOs (<see cref="PerfControl"/>): enable, then pings. A ping is how we learn how
/// far the stream is complete: perf reads its ring buffers only when woken (by half-full buffers, or a command), and
/// it acknowledges a command before reading them again, so once a second ping is acknowledged every event older than
/// the first is in the pipe.
/// </summary>
public sealed class PerfStream : IDisposable
{
    const int KeptErrorLines = 20;
    readonly Process _perf;
    readonly PerfControl _control;
    readonly PipeStream _data;
    readonly Queue<string> _errors = new();
    int _stopped;
    /// <summary>What perf wrote while we waited for it to acknowledge "enable": its header, whose event formats can
    /// exceed the pipe's 64 KiB (the 54 probes of sid's stripped 3.13 did), and perf blocked on that write never reads the
    /// command. Served first by <see cref="Read"/>.</summary>
    readonly MemoryStream _early = new();

    PerfStream(Process perf, PerfControl control)
    {
        _perf = perf;
        _control = control;
        _data = (PipeStream)perf.StandardOutput.BaseStream;
        DataFd = (int)_data.SafePipeHandle.DangerousGetHandle();
    }

    /// <summary>perf's stdout: pipe-mode perf.data.</summary>
    public int DataFd { get; }
    public int AckFd => _control.AckFd;
    public int ProcessId => _perf.Id;
    /// <summary>When we asked perf to stop (CLOCK_MONOTONIC), 0 if we did not.</summary>
    public long StoppedNs { get; private set; }
    public bool HasExited => _perf.HasExited;
    /// <summary>perf's last lines on stderr (why it failed, when it did).</summary>
    public IReadOnlyList<string> ErrorLines { get { lock (_errors) return _errors.ToList(); } }

    public static PerfStream Start(StreamRequest req, Action<string>? log = null)
    {
        var control = new PerfControl();
        List<string> argv = [HostFacts.FindPerf(), "record", "-q", "-k", "CLOCK_MONOTONIC", "-m", req.MmapPages.ToString(),
            .. req.Events.SelectMany(e => new[] { "-e", e }), "-o", "-", "-p", req.Pid.ToString(), .. control.PerfArguments];
        log?.Invoke("$ " + ShellQuoter.Join(argv));
        // Through the wrapper: it dies with us even after a SIGKILL (the pipe alone would end it only at its next
        // write), in a process group of its own (Ctrl-C is ours to handle: we stop it).
        Process proc;
        try { proc = ExecWrapper.StartPerf(argv, psi => psi.RedirectStandardOutput = psi.RedirectStandardError = true); }
        catch
        {
            control.Dispose();
            throw;
        }
        var stream = new PerfStream(proc, control);
        proc.ErrorDataReceived += (_, line) =>
        {
            if (string.IsNullOrWhiteSpace(line.Data)) return;
            log?.Invoke("perf: " + line.Data);
            lock (stream._errors)
            {
                stream._errors.Enqueue(line.Data);
                if (stream._errors.Count > KeptErrorLines) stream._errors.Dequeue();
            }
        };
        proc.BeginErrorReadLine();
        return stream;
    }

    /// <summary>Enables the events and waits for perf's acknowledgement; false when perf ended (or the timeout passed) first.</summary>
    public bool Enable(TimeSpan timeout)
    {
        var chunk = new byte[1 << 16];
        bool acked = _control.Enable(() => !_perf.HasExited, timeout, () =>
        {
            while (Readable(0))
            {
                int n = _data.Read(chunk);
                if (n <= 0) break;
                _early.Write(chunk, 0, n);
            }
        });
        _early.Position = 0;
        return acked;
    }

    /// <summary>Whether bytes read during <see cref="Enable"/> are still to be taken with <see cref="Read"/>.</summary>
    public bool HasEarlyData => _early.Position < _early.Length;

    public bool SendPing() => _control.Send("ping");

    /// <summary>Takes the acknowledgement poll said is waiting on <see cref="AckFd"/>.</summary>
    public bool TakeAck() => _control.TakeAck();

    /// <summary>Reads what the pipe holds (after poll said it is readable); 0 at its end.</summary>
    public int Read(Span<byte> buffer)
    {
        if (HasEarlyData) return _early.Read(buffer);
        try { return _data.Read(buffer); }
        catch (IOException) { return 0; }
    }

    /// <summary>Whether the pipe has data (or has ended) within the timeout.</summary>
    public unsafe bool Readable(int timeoutMs)
    {
        if (HasEarlyData) return true;
        var fd = new Libc.PollFd { Fd = DataFd, Events = Libc.POLLIN };
        return Libc.Poll(&fd, 1, timeoutMs) > 0 && fd.Revents != 0;
    }

    /// <summary>Asks perf to stop (SIGINT): it reads what its buffers still hold, writes it and ends, closing the pipe.</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        StoppedNs = PerfControl.MonotonicNs();
        try { if (!_perf.HasExited) Libc.Kill(_perf.Id, Libc.SIGINT); }
        catch (InvalidOperationException) { }
    }

    /// <summary>perf's exit code once it ended (waits up to the timeout; -1 if it is still running).</summary>
    public int WaitForExit(TimeSpan timeout) => _perf.WaitForExit(timeout) ? _perf.ExitCode : -1;

    public void Dispose()
    {
        if (!_perf.HasExited)
        {
            Stop();
            // perf drains into the pipe: read it away so that it is not blocked writing while it should end
            var sink = new byte[1 << 16];
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (!_perf.HasExited && DateTime.UtcNow < deadline)
                if (Readable(100) && Read(sink) == 0) break;
            if (!_perf.WaitForExit(2000)) try { _perf.Kill(); } catch (InvalidOperationException) { }
        }
        _perf.WaitForExit();
        _data.Dispose();
        _perf.Dispose();
        _control.Dispose();
    }
}
