using System.Text.Json;
using GilTracer.Core.Model;

namespace GilTracer.Core.Render;

/// <summary>
/// A flame graph's stacks merged into one tree (root "all"), as both flame-graph outputs draw it: the SVG files and the
/// HTML report, which gets it as data (JSON, drawn as canvas text), never as markup.
/// </summary>
public sealed class FlameGraphTree
{
    public sealed class Node(string name)
    {
        public string Name { get; } = name;
        public long Value { get; internal set; }
        internal readonly Dictionary<string, Node> ChildrenByName = new(StringComparer.Ordinal);
        /// <summary>Children in ordinal order of their names.</summary>
        public IEnumerable<Node> Children => ChildrenByName.Values.OrderBy(c => c.Name, StringComparer.Ordinal);
        public int Depth => ChildrenByName.Count == 0 ? 0 : 1 + ChildrenByName.Values.Max(c => c.Depth);
    }

    public FlameGraphTree(FlameGraph graph)
    {
        Title = graph.Title;
        foreach (var s in graph.Stacks) Add(s);
    }

    public string Title { get; }
    public Node Root { get; } = new("all");
    public long Total => Root.Value;

    void Add(FoldedStack stack)
    {
        var node = Root;
        node.Value += stack.Value;
        foreach (var frame in stack.Frames)
        {
            if (frame.Length == 0) continue;
            if (!node.ChildrenByName.TryGetValue(frame, out var child)) node.ChildrenByName[frame] = child = new Node(frame);
            child.Value += stack.Value;
            node = child;
        }
    }

    /// <summary>Writes {"title","unit","total","nodes":[[depth,value,name],…]} in depth-first order, children by name.</summary>
    internal void WriteJson(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("title", Title);
        w.WriteString("unit", "ns");
        w.WriteNumber("total", Root.Value);
        w.WriteStartArray("nodes");
        var stack = new Stack<(Node Node, int Depth)>();
        stack.Push((Root, 0));
        while (stack.Count > 0)
        {
            var (node, depth) = stack.Pop();
            w.WriteStartArray();
            w.WriteNumberValue(depth);
            w.WriteNumberValue(node.Value);
            w.WriteStringValue(node.Name);
            w.WriteEndArray();
            foreach (var child in node.Children.Reverse()) stack.Push((child, depth + 1));
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
