using System.CommandLine;
using System.Globalization;
using GilTracer.Console;
using GilTracer.Core.Model;
using GilTracer.Core.Render;
using Spectre.Console;

namespace GilTracer.Commands;

/// <summary>`giltracer combine A.json B.json … -o out.json`: one timeline from several Chrome/VizTracer traces.</summary>
public static class CombineCommand
{
    static readonly Argument<string[]> Inputs = new("traces")
    { Description = "Chrome trace JSON files (giltracer's trace.json, VizTracer's JSON, …); append @SHIFT_US to move one in time", Arity = ArgumentArity.OneOrMore };
    static readonly Option<string> Output = new("--output", "-o") { Description = "The combined trace", DefaultValueFactory = _ => "combined.json" };

    public static Command Create()
    {
        var c = new Command("combine", "Merge Chrome trace JSON files (giltracer, VizTracer, per4m) into one timeline; all use µs of CLOCK_MONOTONIC");
        c.Add(Inputs);
        c.Add(Output);
        c.Add(Cli.Quiet);
        c.Add(Cli.Verbose);
        c.SetAction(p => Cli.Guard(p, () =>
        {
            var inputs = (p.GetValue(Inputs) ?? []).Select(Parse).ToList();
            var output = p.GetValue(Output)!;
            long n = TraceCombiner.Combine(inputs, output);
            if (!p.GetValue(Cli.Quiet)) Cli.Err.MarkupLine(Cli.Text($"wrote {output}: {n} events from {inputs.Count} traces"));
            return 0;
        }));
        return c;
    }

    /// <summary>"path" or "path@shift_us" (only when the part after @ is a number, so paths with @ still work).</summary>
    static TraceCombiner.Input Parse(string arg)
    {
        int at = arg.LastIndexOf('@');
        if (at > 0 && double.TryParse(arg.AsSpan(at + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double shift) && !File.Exists(arg))
            return new TraceCombiner.Input(arg[..at], shift);
        return new TraceCombiner.Input(arg);
    }
}
