using System.Diagnostics;
using GilTracer.Core.Model;
using GilTracer.Core.Host;

namespace GilTracer.Core.Decode;

/// <summary>Turns a perf.data file into `perf script` text, streamed (not buffered) into the text reader.</summary>
public static class PerfScriptRunner
{
    public static readonly string[] Fields = ["--ns", "--show-lost-events", "-F", "comm,pid,tid,cpu,time,event,trace"];

    /// <summary>With call stacks (recordings made with -g / --call-graph): the frames tell a sleep inside take_gil.</summary>
    public static readonly string[] FieldsWithStacks = ["--ns", "--show-lost-events", "--no-inline", "-F", "comm,pid,tid,cpu,time,event,trace,ip,sym"];

    public static IEnumerable<TraceEvent> Read(string perfData, PerfScriptTextReader reader, bool withStacks = false)
    {
        var psi = new ProcessStartInfo(HostFacts.FindPerf($"{perfData} has call stacks, which only `perf script` can symbolize"))
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        psi.ArgumentList.Add("script");
        psi.ArgumentList.Add("-i");
        psi.ArgumentList.Add(perfData);
        foreach (var f in withStacks ? FieldsWithStacks : Fields) psi.ArgumentList.Add(f);
        using var proc = Process.Start(psi)!;
        var stderr = proc.StandardError.ReadToEndAsync();
        foreach (var e in reader.Read(proc.StandardOutput.BaseStream)) yield return e;
        proc.WaitForExit();
        if (proc.ExitCode != 0)
        {
            var msg = stderr.Result.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0 && !l.StartsWith("'trace' not valid")) ?? "";
            throw new GilTracerException($"perf script could not read {perfData}: {msg}");
        }
    }
}
