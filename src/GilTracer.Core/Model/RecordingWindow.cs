namespace GilTracer.Core.Model;

/// <summary>
/// When a recording really started and stopped (CLOCK_MONOTONIC ns), for recordings that join a running
/// process (attach): threads that already existed live from StartNs, threads still alive at the end live to
/// EndNs, and a wait or hold under way at either edge is clipped there instead of at the first or last event.
/// </summary>
public sealed record RecordingWindow(long StartNs, long EndNs, IReadOnlySet<int> AliveAtStart, IReadOnlySet<int> AliveAtEnd);
