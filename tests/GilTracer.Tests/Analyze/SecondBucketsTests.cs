using GilTracer.Core.Analyze;
using GilTracer.Core.Model;

namespace GilTracer.Tests.Analyze;

/// <summary>The 1/5/15-minute windows are exact sums of the last 60/300/900 seconds, at every step of 20 simulated minutes.</summary>
public class SecondBucketsTests
{
    [Fact]
    public void WindowsAreExactSumsOfTheirLastSeconds()
    {
        var random = new Random(15);
        var buckets = new SecondBuckets();
        var pushed = new List<LifeShares>();
        for (int second = 0; second < 1200; second++)
        {
            long life = random.Next(0, 1_000_000_001), wait = random.NextInt64(0, life + 1), hold = random.NextInt64(0, life - wait + 1);
            var s = new LifeShares(life, wait, hold, random.Next(0, 100_000));
            buckets.Push(s);
            pushed.Add(s);
            for (int w = 0; w < SecondBuckets.Windows.Length; w++)
            {
                var expected = pushed.Skip(Math.Max(0, pushed.Count - SecondBuckets.Windows[w])).Aggregate(default(LifeShares), (a, b) => a + b);
                Assert.Equal(expected, buckets.Sum(w));
            }
        }
        Assert.Equal(SecondBuckets.Seconds, buckets.Count);
    }

    [Fact]
    public void SharesOfAnEmptyWindowAreZero()
    {
        var empty = new SecondBuckets().Sum(0);
        Assert.Equal(0, empty.WaitPct);
        Assert.Equal(0, empty.NoGilPct);
    }
}
