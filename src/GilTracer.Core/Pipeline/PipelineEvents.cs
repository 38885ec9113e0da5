namespace GilTracer.Core.Pipeline;

/// <summary>Progress and messages for the CLI (status line, --verbose); all optional.</summary>
public sealed class PipelineEvents
{
    public Action<string>? Status { get; init; }
    public Action<string>? Verbose { get; init; }
    public Action<string>? Warning { get; init; }
    /// <summary>Runs a step that can take long (decoding and analysis) given where to report its progress (0 to 1):
    /// the CLI shows a progress bar on a terminal once the step has taken a second.</summary>
    public Action<string, Action<IProgress<double>>>? LongStep { get; init; }
}

public static class PipelineEventsExtensions
{
    /// <summary>Runs work as a long step (see <see cref="PipelineEvents.LongStep"/>); without one, it just runs.</summary>
    public static T Step<T>(this PipelineEvents? ev, string label, Func<IProgress<double>?, T> work)
    {
        if (ev?.LongStep is not { } step) return work(null);
        T result = default!;
        step(label, progress => result = work(progress));
        return result;
    }
}
