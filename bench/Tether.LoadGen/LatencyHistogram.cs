using System.Diagnostics;
using System.Numerics;

namespace Tether.LoadGen;

/// <summary>
/// A log-linear histogram of durations in <see cref="Stopwatch"/> ticks, in the manner of HdrHistogram: exact below
/// 128 ticks, then 128 linear sub-buckets per power of two (at most 0.8 % relative error), up to 2^41 ticks (about
/// 36 minutes at 1 ns per tick; larger values land in the last bucket). Fixed memory (35 KB), no allocation per record,
/// not thread-safe: one instance per thread, merged at the end.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBits = 7;
    private const int SubCount = 1 << SubBits;
    private const int MaxExponent = 41;
    private const int BucketCount = SubCount + ((MaxExponent - SubBits + 1) * SubCount);

    private readonly long[] _counts = new long[BucketCount];

    /// <summary>Values recorded.</summary>
    public long Count { get; private set; }

    /// <summary>The largest value recorded, in ticks.</summary>
    public long Max { get; private set; }

    /// <summary>Records one duration in ticks (negative counts as zero).</summary>
    public void Record(long ticks)
    {
        if (ticks < 0)
        {
            ticks = 0;
        }

        _counts[Index(ticks)]++;
        Count++;
        if (ticks > Max)
        {
            Max = ticks;
        }
    }

    /// <summary>Adds every value of <paramref name="other"/>.</summary>
    public void Add(LatencyHistogram other)
    {
        for (var i = 0; i < BucketCount; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        Max = Math.Max(Max, other.Max);
    }

    /// <summary>
    /// The value at <paramref name="percentile"/> (0-100) in milliseconds: the highest value equivalent to the bucket
    /// that holds the rank, capped at the maximum recorded; 0 when empty.
    /// </summary>
    public double PercentileMs(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        var rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * Count));
        long seen = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return ToMs(Math.Min(HighestEquivalent(i), Max));
            }
        }

        return ToMs(Max);
    }

    /// <summary>The maximum in milliseconds.</summary>
    public double MaxMs => ToMs(Max);

    /// <summary>Converts <see cref="Stopwatch"/> ticks to milliseconds.</summary>
    public static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static int Index(long value)
    {
        if (value < SubCount)
        {
            return (int)value;
        }

        var exponent = 63 - BitOperations.LeadingZeroCount((ulong)value);
        if (exponent > MaxExponent)
        {
            return BucketCount - 1;
        }

        var shift = exponent - SubBits;
        var mantissa = (int)(value >> shift) - SubCount;
        return SubCount + (shift * SubCount) + mantissa;
    }

    private static long HighestEquivalent(int index)
    {
        if (index < SubCount)
        {
            return index;
        }

        var shift = (index - SubCount) / SubCount;
        var mantissa = (index - SubCount) % SubCount;
        return ((long)(SubCount + mantissa + 1) << shift) - 1;
    }
}
