using GilTracer.Core.Model;

namespace GilTracer.Core.Decode;

/// <summary>A recording's events, decoded as they are read, and what the decoder found on the way.</summary>
public interface IEventSource
{
    /// <summary>The events in time order; read once. <paramref name="progress"/> gets the share read now and then.</summary>
    IEnumerable<TraceEvent> Read(IProgress<double>? progress = null);

    /// <summary>Final once the events of <see cref="Read"/> were all taken.</summary>
    DecodeResult Result { get; }
}

/// <summary>
/// A perf.data file read natively, with perf's EXIT records (they end a life exactly: a multiprocessing worker holding
/// the GIL until its os._exit has no GIL event after its last take_gil), and --state's system-wide sched.data merged in
/// by time. `run -- COMMAND` records with one perf per Python build found (<see cref="Record.TaskRecorder"/>): their
/// files are merged the same way (a process two of them follow has its fork, comm and exit twice: the analyzers take
/// the first).
/// </summary>
public sealed class PerfDataSource(IReadOnlyList<PerfDataReader> data, PerfDataReader? sched = null) : IEventSource
{
    public PerfDataSource(PerfDataReader data, PerfDataReader? sched = null) : this([data], sched) { }

    public IEnumerable<TraceEvent> Read(IProgress<double>? progress = null)
    {
        // Progress from the first file (the command's own recording, or perf.data); the others are merged in as read.
        var streams = data.Select((d, i) => d.ReadEventsWithExits(i == 0 ? progress : null)).ToList();
        if (sched is not null) streams.Add(sched.ReadEvents());
        return streams.Count == 1 ? streams[0] : EventMerger.Merge(streams);
    }

    public DecodeResult Result => data.Skip(1).Aggregate(data[0].Result, (r, d) => r.And(d.Result)) is var gil && sched is not null ? gil.And(sched.Result) : gil;
}

/// <summary>`perf script` text: a file, standard input, or the output of perf script run on a perf.data file.</summary>
public sealed class PerfTextSource : IEventSource
{
    readonly PerfScriptTextReader _reader;
    readonly string _input;
    readonly Func<PerfScriptTextReader, IProgress<double>?, IEnumerable<TraceEvent>> _read;

    PerfTextSource(string input, Func<PerfScriptTextReader, IProgress<double>?, IEnumerable<TraceEvent>> read)
    {
        _input = input;
        _reader = new PerfScriptTextReader { Input = input };
        _read = read;
    }

    /// <param name="input">How messages name the stream: its path, or "standard input".</param>
    public static PerfTextSource Of(Stream stream, string input) => new(input, (r, progress) => r.Read(stream, progress));

    /// <summary>perf script's output for a perf.data file, streamed (with call stacks when the samples have them).</summary>
    public static PerfTextSource OfPerfScript(string perfData, bool withStacks) =>
        new(perfData, (r, _) => PerfScriptRunner.Read(perfData, r, withStacks));

    public IEnumerable<TraceEvent> Read(IProgress<double>? progress = null) => _read(_reader, progress);

    public DecodeResult Result => _reader.Result with { Input = _input };
}
