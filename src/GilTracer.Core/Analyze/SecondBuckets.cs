using GilTracer.Core.Model;

namespace GilTracer.Core.Analyze;

/// <summary>
/// One thread's last 15 minutes, second by second: what each second added to its life, wait, hold and acquisitions,
/// with running sums over the last 1, 5 and 15 minutes. Exact windows, not decaying averages: a sum gains the newest
/// second and loses the one that left the window. Fixed memory (900 seconds of four 32-bit counts).
/// </summary>
public sealed class SecondBuckets
{
    public const int Seconds = 900;
    /// <summary>The windows <see cref="Sum"/> knows, in seconds.</summary>
    public static readonly int[] Windows = [60, 300, 900];

    readonly record struct Bucket(int LifeNs, int WaitNs, int HoldNs, int Acquisitions)
    {
        public LifeShares Shares => new(LifeNs, WaitNs, HoldNs, Acquisitions);
    }

    readonly Bucket[] _ring = new Bucket[Seconds];
    readonly LifeShares[] _sums = new LifeShares[Windows.Length];
    int _next, _count;

    /// <summary>Seconds recorded so far (at most <see cref="Seconds"/>).</summary>
    public int Count => _count;

    /// <summary>Adds the newest second. A second holds at most a second of life, so its counts fit 32 bits.</summary>
    public void Push(LifeShares second)
    {
        var b = new Bucket(Clamp(second.LifeNs), Clamp(second.WaitNs), Clamp(second.HoldNs), Clamp(second.Acquisitions));
        for (int w = 0; w < Windows.Length; w++)
        {
            if (_count >= Windows[w]) _sums[w] -= _ring[(_next - Windows[w] + Seconds) % Seconds].Shares; // it leaves the window
            _sums[w] += b.Shares;
        }
        _ring[_next] = b;
        _next = (_next + 1) % Seconds;
        if (_count < Seconds) _count++;
    }

    /// <summary>The sum over the last <see cref="Windows"/>[window] seconds (or all of them, when fewer were recorded).</summary>
    public LifeShares Sum(int window) => _sums[window];

    static int Clamp(long v) => (int)Math.Clamp(v, 0, int.MaxValue);
}
