// Reads a perf.data file with GilTracer's native reader, for the benchmark (bench/run.sh) and for eyeballing:
//   perfdata-bench count FILE   events per kind, events/s, peak working set
//   perfdata-bench dump FILE    one line per event, in the layout of `perf script --ns -F comm,pid,tid,cpu,time,event`
using System.Diagnostics;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;

if (args.Length != 2 || args[0] is not ("count" or "dump"))
{
    Console.Error.WriteLine("usage: perfdata-bench count|dump FILE");
    return 2;
}
try
{
    var reader = new PerfDataReader(args[1]);
    if (args[0] == "dump")
    {
        using var o = new StreamWriter(Console.OpenStandardOutput(), bufferSize: 1 << 16);
        foreach (var e in reader.ReadEvents())
            o.WriteLine($"{e.Kind} {e.Pid}/{e.Tid} [{e.Cpu:D3}] {e.TimestampNs / 1_000_000_000}.{e.TimestampNs % 1_000_000_000:D9} next={e.NextTid} woken={e.WokenTid} child={e.ChildTid}/{e.ChildPid} lost={e.LostCount} state={e.State} comm={e.Comm}");
        return 0;
    }
    var sw = Stopwatch.StartNew();
    var counts = new long[16];
    long n = 0;
    foreach (var e in reader.ReadEvents()) { counts[(int)e.Kind]++; n++; }
    sw.Stop();
    Console.WriteLine($"events {n}  records {reader.Records}  lost {reader.LostEvents}  out_of_order {reader.OutOfOrderEvents}");
    for (int k = 0; k < counts.Length; k++) if (counts[k] > 0) Console.WriteLine($"  {(EventKind)k,-16} {counts[k]}");
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    Console.WriteLine($"seconds {sw.Elapsed.TotalSeconds:F3}  cpu_seconds {cpu.TotalSeconds:F3}  events/s {n / sw.Elapsed.TotalSeconds:F0}  peak_working_set_mb {Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0:F1}");
    Console.WriteLine($"allocated_mb {GC.GetTotalAllocatedBytes() / 1048576.0:F1}  gc0 {GC.CollectionCount(0)}  gc1 {GC.CollectionCount(1)}  gc2 {GC.CollectionCount(2)}");
    return 0;
}
catch (InvalidDataException ex)
{
    Console.Error.WriteLine($"perfdata-bench: error: {ex.Message}");
    return 1;
}
