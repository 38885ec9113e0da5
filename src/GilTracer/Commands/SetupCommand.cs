using System.CommandLine;
using GilTracer.Console;
using GilTracer.Core.Host;
using Spectre.Console;

namespace GilTracer.Commands;

/// <summary>`giltracer setup`: the one command that changes the system: mounts tracefs when it is missing, and says so.</summary>
static class SetupCommand
{
    public static Command Create()
    {
        var c = new Command("setup", "Prepare this machine: mount tracefs at /sys/kernel/tracing if it is not mounted (needs root); prints what it did");
        c.SetAction(p => Cli.Guard(p, () =>
        {
            Cli.Out.WriteLine(TraceFs.MountIfMissing());
            try { Cli.Out.WriteLine($"perf: {HostFacts.FindPerf()}"); }
            catch (Core.Model.GilTracerException e) { Cli.Warn(e.Message); }
            Cli.Out.WriteLine("check everything with: giltracer doctor");
            return 0;
        }));
        return c;
    }
}
