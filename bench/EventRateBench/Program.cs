// Steady-state cost per event of the hot path (perf.data reader, perf script text reader, GIL analyzer) on the
// recordings committed under tests/GilTracer.Tests/TestData, with BenchmarkDotNet's warm-up and statistics: a
// one-shot timing of inputs this small measures the JIT. bench/run.sh answers the other question (a fresh
// multi-million-event recording, end to end, with peak RSS and ratios against perf script).
//   dotnet run -c Release --project bench/EventRateBench -- --filter '*' [--job short]
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using GilTracer.Bench;

BenchmarkSwitcher.FromAssembly(typeof(EventRate).Assembly)
    .Run(args, DefaultConfig.Instance.AddColumn(EventsPerSecondColumn.All));
