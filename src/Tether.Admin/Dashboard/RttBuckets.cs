namespace Tether.Admin.Dashboard;

/// <summary>The fixed round-trip-time buckets of the dashboard's histogram: upper bounds in milliseconds, plus overflow.</summary>
internal static class RttBuckets
{
    /// <summary>Inclusive upper bounds; a last bucket holds everything above the largest.</summary>
    public static readonly double[] UpperBoundsMs = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];

    /// <summary>Bounds plus the overflow bucket.</summary>
    public static int Count => UpperBoundsMs.Length + 1;

    /// <summary>The bucket a measurement falls in.</summary>
    public static int IndexOf(double milliseconds)
    {
        var bounds = UpperBoundsMs;
        for (var i = 0; i < bounds.Length; i++)
        {
            if (milliseconds <= bounds[i])
            {
                return i;
            }
        }

        return bounds.Length;
    }
}
