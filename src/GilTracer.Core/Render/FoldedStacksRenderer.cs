using System.Text;
using GilTracer.Core.Analyze;

namespace GilTracer.Core.Render;

/// <summary>A stack with its weight: frames root first (the thread name is the root frame).</summary>
public sealed record FoldedStack(string[] Frames, long Value);

/// <summary>
/// Folded stacks ("frame;frame;frame count", the input of flamegraph.pl, speedscope, inferno), one line per
/// (thread, stack), counts in nanoseconds. Frame names come from the traced program: ';' and control characters
/// are replaced so a name can neither split a frame nor a line.
/// </summary>
public static class FoldedStacksRenderer
{
    public static List<FoldedStack> Stacks(FoldedStacks folded, FunctionTimeline timeline, Func<int, string> threadName)
    {
        var names = new Dictionary<int, string>();
        string FrameName(int f) => names.TryGetValue(f, out var n) ? n : names[f] = Clean(timeline.Trace.Function(f).Display);
        var merged = new Dictionary<string, FoldedStack>();
        foreach (var ((tid, stack), ns) in folded.Ns)
        {
            if (ns <= 0) continue;
            var frames = stack == FunctionTimeline.Root
                ? [Clean(threadName(tid)), BlameAnalyzer.UnknownName]
                : timeline.Frames(stack).Select(FrameName).Prepend(Clean(threadName(tid))).ToArray();
            var key = string.Join(';', frames);
            merged[key] = merged.TryGetValue(key, out var prev) ? prev with { Value = prev.Value + ns } : new FoldedStack(frames, ns);
        }
        return merged.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToList();
    }

    public static void Write(IEnumerable<FoldedStack> stacks, TextWriter w)
    {
        foreach (var s in stacks)
        {
            w.Write(string.Join(';', s.Frames));
            w.Write(' ');
            w.Write(s.Value);
            w.Write('\n');
        }
    }

    public static void Write(IEnumerable<FoldedStack> stacks, string path)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false));
        Write(stacks, w);
    }

    /// <summary>Reads folded lines back (for rendering a folded file from elsewhere); bad lines are skipped.</summary>
    public static List<FoldedStack> Parse(TextReader r)
    {
        var list = new List<FoldedStack>();
        while (r.ReadLine() is { } line)
        {
            int sp = line.LastIndexOf(' ');
            if (sp <= 0 || !long.TryParse(line.AsSpan(sp + 1), out long v) || v <= 0) continue;
            list.Add(new FoldedStack(line[..sp].Split(';'), v));
        }
        return list;
    }

    public static string Clean(string name)
    {
        if (name.Length == 0) return "?";
        if (name.AsSpan().IndexOfAny(";\r\n\t\0") < 0 && !name.Any(char.IsControl)) return name;
        var sb = new StringBuilder(name.Length);
        foreach (char c in name) sb.Append(c == ';' ? ':' : char.IsControl(c) ? ' ' : c);
        return sb.ToString();
    }
}
