namespace GilTracer.Core.Decode;

/// <summary>
/// What a reader found besides the events, handed forward with them to the analysis: final once the events were read
/// to the end. What was lost or skipped is also said in <see cref="Warnings"/>, which go into the report.
/// </summary>
public sealed record DecodeResult
{
    /// <summary>The input as messages name it: a path, or "standard input".</summary>
    public required string Input { get; init; }
    /// <summary>Events decoded (lost-event records included).</summary>
    public long Events { get; init; }
    public bool HasGilEvents { get; init; }
    public bool HasSchedEvents { get; init; }
    /// <summary>Samples carry call stacks (perf record -g): a sleep inside take_gil is told from them.</summary>
    public bool HasCallStacks { get; init; }
    /// <summary>Text lines that looked like neither a sample, a stack frame nor a blank line: skipped.</summary>
    public long MalformedLines { get; init; }
    /// <summary>Text samples of events that are neither GIL probes nor sched tracepoints: skipped.</summary>
    public long UnknownEvents { get; init; }
    /// <summary>perf.data samples whose event id no event of the header has: skipped, as perf does.</summary>
    public long UnknownIdSamples { get; init; }
    /// <summary>The text ends in the middle of a line.</summary>
    public bool Truncated { get; init; }
    /// <summary>One line each: what the reader could not map, then the losses and skips above.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>The reader's own notes followed by a line for each kind of loss that happened.</summary>
    public static IReadOnlyList<string> WarningsOf(IEnumerable<string> notes, bool truncated, long malformedLines, long unknownEvents,
        long unknownIdSamples)
    {
        var all = notes.ToList();
        if (truncated) all.Add("the input ends in the middle of a line: the recording looks truncated");
        if (malformedLines > 0) all.Add($"{malformedLines} lines were not understood and skipped");
        if (unknownEvents > 0) all.Add($"{unknownEvents} samples of events that are neither GIL probes nor sched tracepoints were skipped");
        if (unknownIdSamples > 0) all.Add($"{unknownIdSamples} samples name an event id the perf.data header does not list: skipped (a damaged file?)");
        return all;
    }

    /// <summary>This recording with a second one merged in by time (--state's sched.data): its warnings name its file.</summary>
    public DecodeResult And(DecodeResult other) => this with
    {
        Events = Events + other.Events,
        HasGilEvents = HasGilEvents || other.HasGilEvents,
        HasSchedEvents = HasSchedEvents || other.HasSchedEvents,
        HasCallStacks = HasCallStacks || other.HasCallStacks,
        MalformedLines = MalformedLines + other.MalformedLines,
        UnknownEvents = UnknownEvents + other.UnknownEvents,
        UnknownIdSamples = UnknownIdSamples + other.UnknownIdSamples,
        Truncated = Truncated || other.Truncated,
        Warnings = [.. Warnings, .. other.Warnings.Select(w => $"{Path.GetFileName(other.Input)}: {w}")],
    };

    /// <summary>One line for --verbose: every count, zero or not.</summary>
    public string Describe() =>
        $"{Input}: {Events} events decoded (GIL probes: {YesNo(HasGilEvents)}, sched events: {YesNo(HasSchedEvents)}, " +
        $"call stacks: {YesNo(HasCallStacks)}); skipped: {MalformedLines} malformed lines, {UnknownEvents} samples of other events, " +
        $"{UnknownIdSamples} samples of unknown event ids{(Truncated ? "; truncated" : "")}";

    static string YesNo(bool b) => b ? "yes" : "no";
}
