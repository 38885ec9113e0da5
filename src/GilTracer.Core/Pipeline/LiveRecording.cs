using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Host;
using GilTracer.Core.Model;
using GilTracer.Core.Record;

namespace GilTracer.Core.Pipeline;

/// <summary>What the loop of a live recording calls back, and when it stops.</summary>
public sealed class LiveLoopHooks
{
    /// <summary>The frame of each interval, as soon as the stream is complete up to its end.</summary>
    public Action<LiveFrame>? Frame { get; init; }
    /// <summary>Called on every turn of the loop (about every 20 ms): names to learn, metrics to answer.</summary>
    public Action<LiveAnalysis>? Turn { get; init; }
    /// <summary>True: stop the recording (q, Ctrl-C).</summary>
    public Func<bool>? StopRequested { get; init; }
    /// <summary>Stop by itself at this time (CLOCK_MONOTONIC; --duration).</summary>
    public long? StopAtNs { get; init; }
}

/// <summary>
/// One thread drives a live recording: it pings perf, reads its pipe into the <see cref="PerfPipeReader"/>, and moves
/// the <see cref="LiveAnalysis"/>'s watermark as far as the stream is known complete: pings every
/// <see cref="PingPeriodNs"/>, two in a row (every event older than the first is in the pipe once the second is
/// acknowledged), and never closer to now than <see cref="LagNs"/>, so that the watermark advances with the clock,
/// steadily, as counters must for a rate between two scrapes to stay at most 1 per thread. Frames and metrics come
/// from the same thread: the analysis needs no lock.
/// </summary>
public static class LiveRecording
{
    public const long PingPeriodNs = 100_000_000;
    public const long LagNs = 250_000_000;
    const int TurnMs = 20;

    /// <summary>
    /// How the loop ended, and the watermark then (every event up to it was analyzed); Lag: how far the watermark stayed
    /// behind the clock, measured at every turn (an event is analyzed, and shown, that long after it happened).
    /// </summary>
    public sealed record LoopEnd(bool PerfEnded, bool Stopped, long WatermarkNs, long PingsUnanswered, LatencyHistogram Lag);

    enum Ping { Idle, First, Second }

    public static unsafe LoopEnd Run(PerfStream perf, PerfPipeReader reader, LiveAnalysis live, LiveLoopHooks hooks)
    {
        var buffer = new byte[1 << 20];
        var fds = stackalloc Libc.PollFd[2];
        long safe = live.WatermarkNs, pingStart = 0, nextPing = PerfControl.MonotonicNs(), pingSent = 0, unanswered = 0;
        var ping = Ping.Idle;
        bool stopped = false;
        var lag = new LatencyHistogram();

        // Reads one chunk; false at the end of the stream.
        bool ReadChunk()
        {
            int n = perf.Read(buffer);
            if (n <= 0) return false;
            reader.Feed(buffer.AsSpan(0, n));
            return true;
        }

        while (perf.HasEarlyData) ReadChunk(); // perf's header, read while it was being enabled

        while (true)
        {
            long now = PerfControl.MonotonicNs();
            if (!stopped && (hooks.StopRequested?.Invoke() == true || now >= hooks.StopAtNs))
            {
                perf.Stop();
                live.StoppedAt(perf.StoppedNs);
                stopped = true;
            }
            if (stopped && now - perf.StoppedNs > 10_000_000_000) break; // perf did not end when asked: what came is analyzed
            if (!stopped && ping == Ping.Idle && now >= nextPing)
            {
                pingStart = pingSent = now;
                if (perf.SendPing()) ping = Ping.First;
                nextPing = now + PingPeriodNs;
            }
            else if (ping != Ping.Idle && now - pingSent > 5_000_000_000)
            {
                unanswered++; // perf stopped answering (busy, or ending): try again later
                ping = Ping.Idle;
            }

            fds[0] = new Libc.PollFd { Fd = perf.DataFd, Events = Libc.POLLIN };
            fds[1] = new Libc.PollFd { Fd = perf.AckFd, Events = Libc.POLLIN };
            Libc.Poll(fds, 2, TurnMs);
            if (fds[0].Revents != 0 && !ReadChunk()) break;
            if ((fds[1].Revents & Libc.POLLIN) != 0 && perf.TakeAck())
            {
                if (ping == Ping.First)
                {
                    pingSent = PerfControl.MonotonicNs();
                    ping = perf.SendPing() ? Ping.Second : Ping.Idle;
                }
                else if (ping == Ping.Second)
                {
                    // everything perf wrote before this acknowledgement is in the pipe: take it all in
                    bool ended = false;
                    while (perf.Readable(0)) if (!ReadChunk()) { ended = true; break; }
                    safe = Math.Max(safe, pingStart);
                    ping = Ping.Idle;
                    if (ended) break;
                }
            }
            long clock = PerfControl.MonotonicNs(), watermark = Math.Min(safe, clock - LagNs);
            if (watermark > live.WatermarkNs) AdvanceTo(reader, live, watermark, hooks.Frame);
            if (!stopped) lag.Add(clock - live.WatermarkNs);
            hooks.Turn?.Invoke(live);
        }

        // perf ended: the stream is complete. The frames up to its end (when we stopped it, or the target's last event),
        // then whatever came later.
        long end = perf.StoppedNs != 0 ? perf.StoppedNs : Math.Max(live.WatermarkNs, reader.NewestNs);
        if (end > live.WatermarkNs) AdvanceTo(reader, live, end, hooks.Frame);
        reader.ReleaseAll(e => live.Process(e));
        return new LoopEnd(!stopped, stopped, live.WatermarkNs, unanswered, lag);
    }

    /// <summary>Releases the events up to the watermark, stopping at each boundary of the analysis (seconds, intervals).</summary>
    public static void AdvanceTo(PerfPipeReader reader, LiveAnalysis live, long watermarkNs, Action<LiveFrame>? frame)
    {
        while (live.NextBoundaryNs <= watermarkNs)
        {
            long boundary = live.NextBoundaryNs;
            reader.Release(boundary, e => live.Process(e));
            if (live.Advance(boundary) is { } f) frame?.Invoke(f);
        }
        reader.Release(watermarkNs, e => live.Process(e));
        live.Advance(watermarkNs);
    }
}
