using System.Globalization;
using System.Security;
using System.Text;

namespace GilTracer.Core.Render;

/// <summary>
/// A flame graph as one self-contained SVG (no script, no network): roots at the bottom, width = share of the total,
/// a tooltip (title) per frame with its time and share. Every name is XML-escaped: they come from the traced program.
/// </summary>
public static class FlameGraphSvgRenderer
{
    const double Width = 1200, FrameHeight = 17, Pad = 10, TitleHeight = 28, MinWidth = 0.3;
    const double CharWidth = 6.6; // 11 px monospace, close enough to decide how much text fits

    public static void Write(FlameGraphTree tree, TextWriter w)
    {
        var root = tree.Root;
        int depth = root.Depth;
        double height = TitleHeight + (depth + 1) * FrameHeight + 2 * Pad;
        var inv = CultureInfo.InvariantCulture;
        w.Write($"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width.ToString(inv)}\" height=\"{height.ToString(inv)}\" viewBox=\"0 0 {Width.ToString(inv)} {height.ToString(inv)}\" font-family=\"monospace\" font-size=\"11\">\n");
        w.Write("<style>rect{stroke:#fff;stroke-width:0.5}g:hover rect{stroke:#000}text{pointer-events:none}</style>\n");
        w.Write($"<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"#f8f8f8\"/>\n");
        w.Write($"<text x=\"{(Width / 2).ToString(inv)}\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">{Esc(tree.Title)} — total {DurationText.Exact(root.Value)}</text>\n");
        if (root.Value == 0)
            w.Write($"<text x=\"{(Width / 2).ToString(inv)}\" y=\"{(TitleHeight + 20).ToString(inv)}\" text-anchor=\"middle\">nothing to show</text>\n");
        else
            Draw(root, 0, Pad, Width - 2 * Pad, root.Value, height - Pad - FrameHeight, w);
        w.Write("</svg>\n");
    }

    static void Draw(FlameGraphTree.Node n, int level, double x, double width, long total, double y, TextWriter w)
    {
        var inv = CultureInfo.InvariantCulture;
        string pct = (100.0 * n.Value / total).ToString("0.##", inv);
        w.Write($"<g><title>{Esc(n.Name)} — {DurationText.Exact(n.Value)} ({pct} %)</title>");
        w.Write($"<rect x=\"{x.ToString("0.##", inv)}\" y=\"{y.ToString("0.##", inv)}\" width=\"{width.ToString("0.##", inv)}\" height=\"{(FrameHeight - 1).ToString(inv)}\" fill=\"{Color(n.Name, level)}\"/>");
        int fits = (int)((width - 6) / CharWidth);
        if (fits >= 3)
        {
            string label = n.Name.Length <= fits ? n.Name : n.Name[..(fits - 2)] + "..";
            w.Write($"<text x=\"{(x + 3).ToString("0.##", inv)}\" y=\"{(y + FrameHeight - 5).ToString("0.##", inv)}\">{Esc(label)}</text>");
        }
        w.Write("</g>\n");
        double cx = x;
        foreach (var c in n.Children)
        {
            double cw = width * c.Value / n.Value;
            if (cw >= MinWidth) Draw(c, level + 1, cx, cw, total, y - FrameHeight, w);
            cx += cw;
        }
    }

    /// <summary>XML text and attribute escaping; characters XML 1.0 forbids become U+FFFD.</summary>
    public static string Esc(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (char c in s)
        {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == '\uFFFE' || c == '\uFFFF') sb.Append('\uFFFD');
            else sb.Append(c);
        }
        return SecurityElement.Escape(sb.ToString());
    }

    static string Color(string name, int level)
    {
        if (level == 0) return "rgb(200,200,200)";
        uint h = 2166136261;
        foreach (char c in name) h = (h ^ c) * 16777619;
        if (name.StartsWith("<gc", StringComparison.Ordinal)) return "rgb(120,170,230)";
        int r = 205 + (int)(h % 50), g = 80 + (int)(h / 50 % 120), b = (int)(h / 6000 % 55);
        return $"rgb({r},{g},{b})";
    }
}
