using System.Globalization;
using System.Text;

namespace GilTracer.Core.Render;

/// <summary>
/// Untrusted text (thread names: Python's and the kernel's comm) made safe for a terminal or a log: control characters
/// are shown escaped, never interpreted: C0, DEL and C1 as \xNN, invisible format characters (bidi overrides, zero-width,
/// line separators) and lone surrogates as \uNNNN, a backslash as \\. Printable Unicode (CJK, emoji) stays as it is.
/// </summary>
public static class VisibleText
{
    public static string Escape(string text)
    {
        if (!NeedsEscape(text)) return text;
        var sb = new StringBuilder(text.Length + 16);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[++i]); // a whole astral character (emoji)
                continue;
            }
            if (c == '\\') sb.Append("\\\\");
            else if (c < 0x20 || c is >= '\x7f' and <= '\x9f') sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else if (Invisible(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            else sb.Append(c);
        }
        return sb.ToString();
    }

    static bool NeedsEscape(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\\' || c < 0x20 || c is >= '\x7f' and <= '\x9f' || Invisible(c)) return true;
        }
        return false;
    }

    /// <summary>Format characters (bidi, zero-width), line and paragraph separators, and surrogates (a whole pair is let through above).</summary>
    static bool Invisible(char c) => char.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator
        or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse;
}
