namespace Tether.Bench.Infra;

/// <summary>Medians, percentiles and ratios over the figures of several runs or samples.</summary>
internal static class Stats
{
    /// <summary>The median of the values that are present; null when none is.</summary>
    public static double? Median(IEnumerable<double?> values)
    {
        var sorted = values.Where(v => v is { } d && !double.IsNaN(d)).Select(v => v!.Value).Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>The nearest-rank percentile (0..100) of <paramref name="sorted"/> (ascending); null when empty.</summary>
    public static double? Percentile(IReadOnlyList<double> sorted, double percent)
    {
        if (sorted.Count == 0)
        {
            return null;
        }

        var rank = (int)Math.Ceiling(percent / 100 * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    /// <summary>a / b, or null when either is missing or b is zero.</summary>
    public static double? Ratio(double? a, double? b) =>
        a is { } x && b is { } y && y != 0 && !double.IsNaN(x) && !double.IsNaN(y) ? x / y : null;
}
