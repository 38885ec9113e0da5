using System.Text;
using GilTracer.Core.Model;

namespace GilTracer.Core.Render;

/// <summary>
/// The report's flame graphs as files in the output folder: NAME.folded ("frame;frame;frame count", the input of
/// flamegraph.pl, speedscope, inferno; one line per stack, counts in ns) and NAME.svg.
/// </summary>
public sealed class FlameGraphFiles(OutputFiles files, string directory) : IReportOutput
{
    public void Write(GilReport report)
    {
        foreach (var graph in report.FlameGraphs)
        {
            using (var folded = new StreamWriter(files.Create(Path.Combine(directory, graph.Name + ".folded")), new UTF8Encoding(false)))
                WriteFolded(graph.Stacks, folded);
            using var svg = new StreamWriter(files.Create(Path.Combine(directory, graph.Name + ".svg")), new UTF8Encoding(false));
            FlameGraphSvgRenderer.Write(new FlameGraphTree(graph), svg);
        }
    }

    /// <summary>Frame names are safe for the format already (see <see cref="FoldedStack"/>).</summary>
    public static void WriteFolded(IEnumerable<FoldedStack> stacks, TextWriter w)
    {
        foreach (var s in stacks)
        {
            w.Write(string.Join(';', s.Frames));
            w.Write(' ');
            w.Write(s.Value);
            w.Write('\n');
        }
    }
}
