using System.CommandLine;
using GilTracer.Core.Record;

namespace GilTracer.Commands;

/// <summary>The recording options run and attach share.</summary>
static class RecordArgs
{
    public static readonly Option<int> MmapPages = new("--mmap-pages")
    { Description = "perf ring buffer size in pages per CPU (raise it if events are lost)", DefaultValueFactory = _ => RecordRequest.DefaultMmapPages };
    public static readonly Option<bool> State = new("--state")
    { Description = "Also record kernel sched events (system-wide, filtered to the traced processes): running, runnable, sleeping, S(GIL) and disk time per thread" };
}
