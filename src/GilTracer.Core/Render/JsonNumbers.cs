using System.Buffers.Text;
using System.Text.Json;

namespace GilTracer.Core.Render;

/// <summary>The Chrome trace's exact time format.</summary>
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
}
