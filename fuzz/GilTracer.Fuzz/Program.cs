using GilTracer.Core.Decode;
using GilTracer.Core.Locate;
using GilTracer.Core.Model;
using SharpFuzz;

// giltracer-fuzz TARGET            under afl-fuzz (fuzz/run.sh): one input per execution on standard input
// giltracer-fuzz TARGET FILE|DIR…  replays inputs (crashes found, the corpus) and says which ones fail
//
// Every reader of untrusted bytes is a target. A GilTracerException is the one way a reader may refuse an input (Cli.Guard
// prints it as one line); any other exception escapes and afl-fuzz records a crash. Hangs are afl-fuzz's timeout, runaway
// memory is the GC's heap limit (DOTNET_GCHeapHardLimit, set by run.sh): an OutOfMemoryException escapes too.

var targets = new Dictionary<string, Action<byte[]>>
{
    ["perfdata"] = PerfData,
    ["perfscript"] = PerfScript,
    ["functions"] = Functions,
    ["elf"] = Elf,
    ["ehframe"] = EhFrame,
    ["gilscan"] = GilScan,
};
if (args.Length == 0 || !targets.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: giltracer-fuzz {string.Join('|', targets.Keys)} [FILE|DIR…]");
    return 2;
}

if (args.Length > 1) return Replay(target, args.Skip(1));
// Out of process: the inputs run in a child that afl-fuzz's server restarts, so that an input that kills the process
// (a stack overflow, the GC giving up at its heap limit) is a crash found, not the end of the fuzzing.
Fuzzer.OutOfProcess.Run(stream =>
{
    var bytes = new MemoryStream();
    stream.CopyTo(bytes);
    try { target(bytes.ToArray()); }
    catch (GilTracerException) { }
});
return 0;

static int Replay(Action<byte[]> target, IEnumerable<string> paths)
{
    int failed = 0, total = 0;
    bool verbose = Environment.GetEnvironmentVariable("GILTRACER_FUZZ_VERBOSE") == "1";
    var files = paths.SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]).Order();
    foreach (var file in files)
    {
        total++;
        try { target(File.ReadAllBytes(file)); }
        catch (GilTracerException e) { if (verbose) Console.WriteLine($"{file}: refused: {e.Message}"); }
        catch (Exception e)
        {
            failed++;
            Console.WriteLine($"{file}: {e.GetType().Name}: {e.Message}");
            Console.WriteLine(e.StackTrace?.Split('\n').FirstOrDefault(l => l.Contains("GilTracer.Core"))?.Trim());
        }
    }
    Console.WriteLine($"{total} inputs, {failed} failed");
    return failed == 0 ? 0 : 1;
}

// Readers that take a path get the input as a file in memory (/dev/shm), one per fuzzing process.
static string AsFile(byte[] bytes)
{
    var path = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"giltracer-fuzz-{Environment.ProcessId}");
    File.WriteAllBytes(path, bytes);
    return path;
}

static void PerfData(byte[] input)
{
    var path = AsFile(input);
    _ = PerfRecordingInfo.Read(path);
    var reader = new PerfDataReader(path) { IncludeTaskEvents = true };
    _ = reader.HasGilEvents | reader.HasSchedEvents;
    foreach (var _ in reader.ReadEventsWithExits()) { }
    _ = reader.Result.Describe();
}

static void PerfScript(byte[] input)
{
    var reader = new PerfScriptTextReader();
    foreach (var _ in reader.Read(new MemoryStream(input, writable: false))) { }
    _ = reader.Result.Describe();
}

// functions.bin, optionally followed by "\nGILNAMES\n" and the functions.names.jsonl beside it (both are read together)
static void Functions(byte[] input)
{
    var names = "{\"k\":\"start\",\"pid\":1,\"python\":\"3.12\"}\n{\"k\":\"code\",\"id\":1,\"name\":\"f\",\"file\":\"a.py\",\"line\":1}\n"u8.ToArray();
    var records = input;
    int split = input.AsSpan().IndexOf("\nGILNAMES\n"u8);
    if (split >= 0)
    {
        records = input[..split];
        names = input[(split + 10)..];
    }
    var trace = FunctionTraceReader.Read(new MemoryStream(records, writable: false), new MemoryStream(names, writable: false));
    _ = trace.Records.Length + trace.Functions.Count + trace.ThreadNames.Count;
}

static void Elf(byte[] input)
{
    var elf = ElfImage.Load(AsFile(input));
    _ = elf.BuildId;
    _ = elf.DebugLink;
    _ = elf.Function("take_gil");
    foreach (var s in elf.Symbols) _ = elf.TryFileOffset(s.Value);
    foreach (var s in elf.Sections) if (elf.Section(s.Name) is { } sec) _ = elf.Data(sec).Length;
}

static void EhFrame(byte[] input)
{
    var elf = ElfImage.Load(AsFile(input));
    _ = EhFrameReader.ReadFunctions(elf);
}

static void GilScan(byte[] input)
{
    var elf = ElfImage.Load(AsFile(input));
    _ = GilCodeScanner.Scan(elf, "3.12");
}
