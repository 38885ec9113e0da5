using System.CommandLine;
using GilTracer.Commands;

var root = new RootCommand("GilTracer: where the Python GIL holds your program back (perf + uprobes on take_gil/drop_gil)")
{
    RunCommand.Create(),
    ConvertCommand.Create(),
    AttachCommand.Create(),
    TopCommand.Create(),
    CombineCommand.Create(),
    DoctorCommand.Create(),
    ProbesCommand.Create(),
    SetupCommand.Create(),
};
// We handle SIGINT/SIGTERM ourselves (PerfRecorder): the recording must be kept and the probes removed.
return root.Parse(args).Invoke(new InvocationConfiguration { ProcessTerminationTimeout = null });
