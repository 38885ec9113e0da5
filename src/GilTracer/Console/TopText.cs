using System.Globalization;
using System.Text;
using GilTracer.Core.Model;
using GilTracer.Core.Render;

namespace GilTracer.Console;

/// <summary>How top orders its threads (keys w, h, n, a, t).</summary>
public enum TopSort { Wait, Hold, NoGil, Acquisitions, Tid }

/// <summary>
/// top's frame as plain text, one block per interval for logs and pipes: no cursor movement, no colour, thread names
/// with their control characters escaped (\xNN, \uNNNN). The live terminal view shows the same cells.
/// </summary>
public static class TopText
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    public static readonly string[] Windows = ["1m", "5m", "15m"];

    public static IEnumerable<LiveThreadRow> Sorted(IEnumerable<LiveThreadRow> rows, TopSort sort) => sort switch
    {
        TopSort.Hold => rows.OrderByDescending(r => r.Interval.HoldPct).ThenBy(r => r.Tid),
        TopSort.NoGil => rows.OrderByDescending(r => r.Interval.NoGilPct).ThenBy(r => r.Tid),
        TopSort.Acquisitions => rows.OrderByDescending(r => r.AcquisitionsPerSecond).ThenBy(r => r.Tid),
        TopSort.Tid => rows.OrderBy(r => r.Pid).ThenBy(r => r.Tid),
        _ => rows.OrderByDescending(r => r.Interval.WaitPct).ThenBy(r => r.Tid),
    };

    /// <summary>"pid 1234 · 12.0 s · every 1.0 s · 4321 events/s · 0 lost"</summary>
    public static string Header(LiveFrame f, int pid) =>
        string.Create(Inv, $"giltracer top · pid {pid} · {f.SessionNs / 1e9:F1} s · every {f.IntervalNs / 1e9:0.0##} s · {f.EventsPerSecond:F0} events/s · {f.LostEvents} lost");

    /// <summary>"GIL of pid 1234: held 99.5 % · 2 waiting now · 812 acquisitions/s"</summary>
    public static string GilLine(LiveGilRow g) =>
        string.Create(Inv, $"GIL of pid {g.Pid}: held {g.HeldPct:F1} % · {g.WaitingNow} waiting now · {g.AcquisitionsPerSecond:F0} acquisitions/s");

    public static readonly string[] Columns =
        ["tid", "thread", "wait %", .. Windows, "hold %", .. Windows, "no GIL %", .. Windows, "acq/s", "wait p99"];

    /// <summary>Names longer than this are cut (with …), so that the columns stay aligned.</summary>
    public const int NameWidth = 32;

    /// <summary>One row's cells, in <see cref="Columns"/>' order; the name escaped and cut to <see cref="NameWidth"/>, not padded.</summary>
    public static string[] Cells(LiveThreadRow r, bool multiProcess)
    {
        var name = DisplayText.Escape(r.Name);
        if (name.Length > NameWidth) name = name[..(NameWidth - 1)] + "…";
        var cells = new List<string>
        {
            (multiProcess ? $"{r.Pid}/" : "") + r.Tid.ToString(Inv) + (r.IsMain ? "*" : ""),
            name,
        };
        foreach (var pct in new Func<LifeShares, double>[] { s => s.WaitPct, s => s.HoldPct, s => s.NoGilPct })
        {
            cells.Add(Pct(pct(r.Interval)));
            foreach (var w in new[] { r.Minute1, r.Minute5, r.Minute15 }) cells.Add(Pct(pct(w)));
        }
        cells.Add(r.AcquisitionsPerSecond.ToString("F0", Inv));
        cells.Add(r.WaitP99Ns > 0 ? DurationText.Fixed(r.WaitP99Ns, 2) : "-");
        return cells.ToArray();
    }

    static string Pct(double v) => v.ToString("F1", Inv);

    /// <summary>The block for one interval: header, a line per GIL, the table, a blank line.</summary>
    public static string Block(LiveFrame f, int pid, TopSort sort)
    {
        var sb = new StringBuilder();
        sb.Append(Header(f, pid)).Append('\n');
        foreach (var g in f.Gils) sb.Append(GilLine(g)).Append('\n');
        bool multi = f.Threads.Select(t => t.Pid).Distinct().Count() > 1;
        var rows = Sorted(f.Threads, sort).Select(r => Cells(r, multi)).ToList();
        int[] width = Columns.Select(c => c.Length).ToArray();
        width[1] = Math.Max(16, width[1]);
        foreach (var cells in rows)
            for (int i = 0; i < cells.Length; i++) width[i] = Math.Max(width[i], cells[i].Length);
        void Line(IReadOnlyList<string> cells)
        {
            for (int i = 0; i < cells.Count; i++)
            {
                if (i > 0) sb.Append("  ");
                if (i == 1) sb.Append(i == cells.Count - 1 ? cells[i] : cells[i].PadRight(width[i]));
                else sb.Append(cells[i].PadLeft(width[i]));
            }
            sb.Append('\n');
        }
        Line(Columns);
        foreach (var cells in rows) Line(cells);
        if (rows.Count == 0) sb.Append("(no thread touched the GIL in this interval)\n");
        sb.Append('\n');
        return sb.ToString();
    }
}
