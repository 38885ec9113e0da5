using System.Globalization;

namespace GilTracer.Core.Render;

/// <summary>
/// Durations as people read them, in one place: milliseconds from a millisecond on, else microseconds (seconds too in
/// prose), always with the invariant culture. The styles differ only in how many decimals they keep.
/// </summary>
public static class DurationText
{
    /// <summary>"12.346 ms", "830.5 µs": up to three decimals (flame graphs' tooltips).</summary>
    public static string Exact(long ns) => Format(ns, "0.###", "0.###");

    /// <summary>"12.35 ms" with msDecimals decimals, "830.5 µs" with one: the columns of a table.</summary>
    public static string Fixed(long ns, int msDecimals) => Format(ns, "F" + msDecimals.ToString(CultureInfo.InvariantCulture), "F1");

    /// <summary>"2.0 s", "12 ms", "830 µs": two or three figures, for sentences.</summary>
    public static string Rounded(long ns)
    {
        double s = ns / 1e9;
        if (s >= 1) return s.ToString(s >= 100 ? "0" : "0.0#", CultureInfo.InvariantCulture) + " s";
        return Format(ns, ns >= 100_000_000 ? "0" : "0.0#", "0.#");
    }

    static string Format(long ns, string msFormat, string usFormat) => ns >= 1_000_000
        ? (ns / 1e6).ToString(msFormat, CultureInfo.InvariantCulture) + " ms"
        : (ns / 1e3).ToString(usFormat, CultureInfo.InvariantCulture) + " µs";
}
