using System.Text.Json;

namespace GilTracer.Core.Render.Html;

/// <summary>
/// Folded stacks (<c>frame;frame;frame count</c>, one per line, as flamegraph.pl reads them) turned into
/// a tree the page draws itself: frame names stay data (JSON, drawn as canvas text), never markup.
/// </summary>
public sealed class FlameGraphTree
{
    sealed class Node
    {
        public readonly string Name;
        public long Value;
        public readonly Dictionary<string, Node> Children = new(StringComparer.Ordinal);
        public Node(string name) => Name = name;
    }

    readonly Node _root = new("all");

    public FlameGraphTree(string title, string unit = "ns")
    {
        Title = title;
        Unit = unit;
    }

    public string Title { get; }
    /// <summary>"ns" when counts are durations, else e.g. "samples".</summary>
    public string Unit { get; }
    public long Total => _root.Value;
    public int MalformedLines { get; private set; }

    /// <summary>Adds folded lines; a line without a trailing count is counted as malformed and skipped.</summary>
    public FlameGraphTree AddFolded(string folded)
    {
        // lines end at '\n' only: EnumerateLines would also split inside a frame name at U+2028 or '\f'
        var text = folded.AsSpan();
        foreach (var range in text.Split('\n'))
        {
            var line = text[range].TrimEnd();
            if (line.IsEmpty) continue;
            int sp = line.LastIndexOf(' ');
            if (sp <= 0 || !long.TryParse(line[(sp + 1)..], out long count) || count < 0)
            {
                MalformedLines++;
                continue;
            }
            AddStack(line[..sp], count);
        }
        return this;
    }

    public void AddStack(ReadOnlySpan<char> stack, long count)
    {
        var node = _root;
        node.Value += count;
        foreach (var range in stack.Split(';'))
        {
            var frame = stack[range];
            if (frame.IsEmpty) continue;
            var lookup = node.Children.GetAlternateLookup<ReadOnlySpan<char>>();
            if (!lookup.TryGetValue(frame, out var child))
            {
                child = new Node(frame.ToString());
                node.Children[child.Name] = child;
            }
            child.Value += count;
            node = child;
        }
    }

    /// <summary>Writes {"title","total","nodes":[[depth,value,name],…]} in depth-first order, children by name.</summary>
    internal void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("title", Title);
        w.WriteString("unit", Unit);
        w.WriteNumber("total", _root.Value);
        w.WriteStartArray("nodes");
        var stack = new Stack<(Node Node, int Depth)>();
        stack.Push((_root, 0));
        while (stack.Count > 0)
        {
            var (node, depth) = stack.Pop();
            w.WriteStartArray();
            w.WriteNumberValue(depth);
            w.WriteNumberValue(node.Value);
            w.WriteStringValue(node.Name);
            w.WriteEndArray();
            foreach (var child in node.Children.Values.OrderByDescending(c => c.Name, StringComparer.Ordinal))
                stack.Push((child, depth + 1));
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
