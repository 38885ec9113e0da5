using System.Text;

namespace GilTracer.Core.Model;

/// <summary>
/// Names from the traced program (thread names, /proc comm, function names, paths) made safe to show as text: a terminal,
/// an SVG or a .folded line must never interpret them. Controls are shown escaped, C-style (<c>\x1b</c>, <c>\n</c>,
/// <c>\u202e</c>), and a backslash as <c>\\</c>, so that what is shown is unambiguous; printable Unicode (CJK, emoji)
/// stays as it is. The JSON outputs keep names exact (JSON escapes by itself): this is for text only.
/// </summary>
public static class DisplayText
{
    /// <summary>The name with every control escaped: C0, DEL, C1, the bidi overrides and isolates, line and paragraph
    /// separators, lone surrogates and the noncharacters U+FFFE/U+FFFF; a backslash doubled.</summary>
    public static string Escape(string s) => Escape(s, extra: '\0');

    /// <summary>As <see cref="Escape(string)"/>, and <paramref name="extra"/> too (';' for a frame of the folded format).</summary>
    public static string Escape(string s, char extra)
    {
        int i = 0;
        while (i < s.Length && !NeedsEscape(s, i, extra)) i++;
        if (i == s.Length) return s;
        var sb = new StringBuilder(s.Length + 8).Append(s, 0, i);
        for (; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                sb.Append(c).Append(s[++i]); // an emoji, a CJK extension character: printable
                continue;
            }
            if (!NeedsEscape(s, i, extra)) { sb.Append(c); continue; }
            sb.Append(c switch
            {
                '\\' => @"\\",
                '\n' => @"\n",
                '\r' => @"\r",
                '\t' => @"\t",
                < '\u0100' => $"\\x{(int)c:x2}",
                _ => $"\\u{(int)c:x4}",
            });
        }
        return sb.ToString();
    }

    static bool NeedsEscape(string s, int i, char extra)
    {
        char c = s[i];
        if (c == '\\' || c == extra && extra != '\0') return true;
        if (c < 0x20 || c is >= '\u007f' and <= '\u009f') return true;
        if (c is '\u061c' or '\u200e' or '\u200f' or '\u2028' or '\u2029' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069')) return true;
        if (c is '\ufffe' or '\uffff') return true;
        if (char.IsHighSurrogate(c)) return i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1]);
        if (char.IsLowSurrogate(c)) return i == 0 || !char.IsHighSurrogate(s[i - 1]);
        return false;
    }
}
