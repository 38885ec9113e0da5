using System.CommandLine;
using GilTracer.Console;
using GilTracer.Core.Host;
using GilTracer.Core.Model;
using GilTracer.Core.Probe;
using Spectre.Console;

namespace GilTracer.Commands;

/// <summary>`giltracer probes list|clean [--all]`: our uprobe groups (giltracer_PID_N), and removing those left by killed runs.</summary>
static class ProbesCommand
{
    static readonly Option<bool> All = new("--all") { Description = "Also remove groups whose giltracer is still running (their recordings stop getting GIL events)" };

    public static Command Create()
    {
        var c = new Command("probes", "Show or remove GilTracer's uprobe groups (only giltracer_* groups are ever touched)");
        var list = new Command("list", "List giltracer_* uprobe groups with their owner process and whether it is alive");
        list.SetAction(p => Cli.Guard(p, () =>
        {
            var groups = UprobeGroup.ListDefined();
            if (groups.Count == 0) Cli.Out.WriteLine("no giltracer uprobe groups");
            foreach (var (group, pid) in groups)
                Cli.Out.MarkupLine($"{Cli.Text(group)}  owner pid {pid} {(UprobeGroup.OwnerAlive(pid) ? "[green]running[/]"
                    : UprobeGroup.Recorders(group) is { Count: > 0 } perfs ? $"[yellow]dead, but perf (pid {string.Join(", ", perfs)}) still records from it[/]"
                    : "[yellow]dead: stale, `giltracer probes clean` removes it[/]")}");
            return 0;
        }));
        var clean = new Command("clean", "Remove giltracer_* groups whose owner process is dead (--all: every giltracer_* group)");
        clean.Add(All);
        clean.SetAction(p => Cli.Guard(p, () =>
        {
            HostFacts.RequireRoot();
            TraceFs.Find();
            var (removed, inUse) = UprobeGroup.RemoveStale(p.GetValue(All));
            if (removed.Count > 0) Cli.Out.WriteLine($"removed {removed.Count} group(s): {string.Join(", ", removed)}");
            if (inUse.Count > 0)
                throw new GilTracerException($"not removed: {string.Join(", ", inUse.Select(InUseBy))}; stop that perf, then run `giltracer probes clean` again");
            if (removed.Count == 0) Cli.Out.WriteLine("nothing to remove");
            return 0;
        }));
        c.Add(list);
        c.Add(clean);
        return c;
    }

    /// <summary>"giltracer_1_1 (in use by perf, pid 42)": the kernel refuses to remove probes a perf records from.</summary>
    static string InUseBy(string group) => UprobeGroup.Recorders(group) is { Count: > 0 } pids
        ? $"{group} (in use by perf, pid {string.Join(", ", pids)})"
        : $"{group} (in use by a running perf)";
}
