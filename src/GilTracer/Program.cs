using System.CommandLine;
using GilTracer.Commands;
using GilTracer.Core.Record;

// The hidden verb first, before anything touches the console: giltracer re-run as perf's and the program's wrapper.
if (args is [ExecWrapper.Verb, .. var wrapped]) return ExecWrapper.Main(wrapped);
ExecWrapper.Self = Self();

var program = new ProgramArgs.Split(args, null);
var run = RunCommand.Create(() => program);
var root = new RootCommand("GilTracer: where the Python GIL holds your program back (perf + uprobes on take_gil/drop_gil)")
{
    run,
    ConvertCommand.Create(),
    AttachCommand.Create(),
    TopCommand.Create(),
    CombineCommand.Create(),
    DoctorCommand.Create(),
    ProbesCommand.Create(),
    SetupCommand.Create(),
};
program = args.Length == 0 ? new(["--help"], null) : ProgramArgs.Of(args, run);
var parse = root.Parse(program.GiltracerArgs);
if (parse.Errors.Count > 0)
{
    // Usage errors: one line each, exit 2 (System.CommandLine would print the whole help and exit 1).
    var command = parse.CommandResult.Command == root ? "giltracer" : $"giltracer {parse.CommandResult.Command.Name}";
    foreach (var e in parse.Errors)
        Console.Error.WriteLine($"giltracer: error: {string.Join(' ', e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))} (see `{command} --help`)");
    return 2;
}
// We handle SIGINT/SIGTERM ourselves (PerfRecorder): the recording must be kept and the probes removed.
return parse.Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null });

// How to run giltracer again as the wrapper: the native executable (published, or the apphost), or `dotnet giltracer.dll`.
static IReadOnlyList<string>? Self()
{
    var exe = Environment.ProcessPath;
    if (exe is null) return null;
    if (Path.GetFileNameWithoutExtension(exe) != "dotnet") return [exe];
    var dll = Path.Combine(AppContext.BaseDirectory, "giltracer.dll");
    return File.Exists(dll) ? [exe, dll] : null;
}
