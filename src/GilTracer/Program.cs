using System.CommandLine;
using GilTracer.Commands;
using GilTracer.Core.Record;

// The hidden verb first, before anything touches the console: giltracer re-run as perf's and the program's wrapper.
if (args is [ExecWrapper.Verb, .. var wrapped]) return ExecWrapper.Main(wrapped);
ExecWrapper.Self = Self();

var root = new RootCommand("GilTracer: where the Python GIL holds your program back (perf + uprobes on take_gil/drop_gil)")
{
    RunCommand.Create(),
    ConvertCommand.Create(),
    AttachCommand.Create(),
    CombineCommand.Create(),
    DoctorCommand.Create(),
    ProbesCommand.Create(),
    SetupCommand.Create(),
};
// We handle SIGINT/SIGTERM ourselves (PerfRecorder): the recording must be kept and the probes removed.
return root.Parse(args).Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null });

// How to run giltracer again as the wrapper: the native executable (published, or the apphost), or `dotnet giltracer.dll`.
static IReadOnlyList<string>? Self()
{
    var exe = Environment.ProcessPath;
    if (exe is null) return null;
    if (Path.GetFileNameWithoutExtension(exe) != "dotnet") return [exe];
    var dll = Path.Combine(AppContext.BaseDirectory, "giltracer.dll");
    return File.Exists(dll) ? [exe, dll] : null;
}
