// Speed of --functions' join on a real recording: reading the tracer's records, building the call-stack timeline,
// the GIL analysis with the blame sink, and the join itself (BlameAnalyzer.Finish).
// Usage: dotnet run -c Release --project bench/FunctionJoinBench -- PERF_SCRIPT_TEXT FUNCTIONS_DIR [repeats]
using System.Diagnostics;
using GilTracer.Core.Analyze;
using GilTracer.Core.Decode;
using GilTracer.Core.Model;

if (args.Length < 2) { Console.Error.WriteLine("usage: FunctionJoinBench PERF_SCRIPT_TEXT FUNCTIONS_DIR [repeats]"); return 2; }
int repeats = args.Length > 2 ? int.Parse(args[2]) : 3;
var events = new PerfScriptTextReader().Read(File.OpenRead(args[0])).ToList();
for (int i = 0; i < repeats; i++)
{
    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    var sw = Stopwatch.StartNew();
    var trace = FunctionTraceReader.Read(args[1]);
    var read = sw.Elapsed;
    var timeline = FunctionTimeline.Build(trace);
    var build = sw.Elapsed - read;
    var blame = new BlameAnalyzer();
    var gil = new GilAnalyzer();
    gil.AddSink(blame);
    foreach (var e in events) gil.Process(e);
    var report = gil.Finish();
    var analyze = sw.Elapsed - read - build;
    var result = blame.Finish(timeline, tid => tid.ToString());
    var join = sw.Elapsed - read - build - analyze;
    Console.WriteLine($"{trace.Records.Length} function records, {events.Count} GIL events, {timeline.Spans.Count} spans, " +
                      $"{result.Rows.Count} rows: read {read.TotalMilliseconds:F0} ms ({trace.Records.Length / read.TotalSeconds / 1e6:F1} M rec/s), " +
                      $"timeline {build.TotalMilliseconds:F0} ms, GIL analysis {analyze.TotalMilliseconds:F0} ms, join {join.TotalMilliseconds:F0} ms; " +
                      $"total {sw.Elapsed.TotalMilliseconds:F0} ms = {trace.Records.Length / sw.Elapsed.TotalSeconds / 1e6:F2} M records/s; " +
                      $"CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds:F0} ms");
}
return 0;
