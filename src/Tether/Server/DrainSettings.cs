namespace Tether.Server;

/// <summary>The checks and the batch plan of a graceful stop's settings.</summary>
internal static class DrainSettings
{
    /// <summary>
    /// The shortest gap between two GOAWAY batches: finer spreading buys nothing (clients reconnect over seconds) and
    /// would only wake the drain more often.
    /// </summary>
    public static readonly TimeSpan MinBatchInterval = TimeSpan.FromMilliseconds(100);

    public static void Validate(TetherServerOptions options)
    {
        if (options.ShutdownDrainTimeout < TimeSpan.Zero)
        {
            throw new ArgumentException("the shutdown drain timeout must not be negative");
        }

        if (options.GoAwaySpread < TimeSpan.Zero || options.GoAwaySpread > options.ShutdownDrainTimeout)
        {
            throw new ArgumentException($"the GOAWAY spread must be between 0 and the shutdown drain timeout ({options.ShutdownDrainTimeout.TotalSeconds} s)");
        }

        if (options.LameDuckDelay < TimeSpan.Zero)
        {
            throw new ArgumentException("the lame-duck delay must not be negative");
        }
    }

    /// <summary>How many batches <paramref name="peers"/> GOAWAYs are sent in over <paramref name="spread"/>: one per peer at most, never closer than <see cref="MinBatchInterval"/>.</summary>
    public static int BatchCount(int peers, TimeSpan spread)
    {
        if (peers <= 1 || spread <= TimeSpan.Zero)
        {
            return 1;
        }

        var byTime = (long)(spread.Ticks / MinBatchInterval.Ticks);
        return (int)Math.Clamp(byTime, 1, peers);
    }

    /// <summary>How many peers have had their GOAWAY once batch <paramref name="batch"/> (from 0) has left: an even share each.</summary>
    public static int SentAfterBatch(int batch, int batches, int peers) => (int)((long)(batch + 1) * peers / batches);

    /// <summary>When batch <paramref name="batch"/> leaves, from the first one: evenly over the spread, the first at once.</summary>
    public static TimeSpan BatchDue(int batch, int batches, TimeSpan spread) => spread * batch / batches;
}
