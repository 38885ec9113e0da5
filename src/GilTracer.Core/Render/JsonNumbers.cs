using System.Buffers.Text;
using System.Text.Json;

namespace GilTracer.Core.Render;

/// <summary>Exact number formats the JSON outputs share.</summary>
static class JsonNumbers
{
    /// <summary>Nanoseconds as microseconds with three decimals ("12.345"), exact (no double rounding).</summary>
    public static void WriteMicros(Utf8JsonWriter w, JsonEncodedText name, long ns)
    {
        Span<byte> buf = stackalloc byte[32];
        int n = 0;
        if (ns < 0) { buf[n++] = (byte)'-'; ns = -ns; }
        Utf8Formatter.TryFormat(ns / 1000, buf[n..], out int used);
        n += used;
        buf[n++] = (byte)'.';
        Utf8Formatter.TryFormat(ns % 1000, buf[n..], out used, new System.Buffers.StandardFormat('D', 3));
        n += used;
        w.WritePropertyName(name);
        w.WriteRawValue(buf[..n], skipInputValidation: true);
    }

    /// <summary>Percentages rounded to 0.001, enough for the table and stable in tests; JSON has no NaN (an empty
    /// life), so that is null.</summary>
    public static void WritePct(Utf8JsonWriter w, string name, double pct)
    {
        if (double.IsFinite(pct)) w.WriteNumber(name, Math.Round(pct, 3)); else w.WriteNull(name);
    }
}
