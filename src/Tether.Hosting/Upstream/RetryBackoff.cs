namespace Tether.Hosting.Upstream;

/// <summary>
/// Exponential backoff with full jitter: the n-th retry waits a uniform random time in [0, min(cap, initial·2ⁿ⁻¹)], so
/// many servers retrying one endpoint spread out instead of arriving together.
/// </summary>
internal static class RetryBackoff
{
    public static TimeSpan Next(int attempt, TimeSpan initial, TimeSpan cap, double random)
    {
        var exponent = Math.Min(Math.Max(attempt - 1, 0), 30);
        var ceiling = Math.Min(cap.Ticks, initial.Ticks * (double)(1L << exponent));
        return TimeSpan.FromTicks((long)(ceiling * random));
    }

    /// <summary>The wait before a retry: the backoff, or the endpoint's <c>Retry-After</c> (capped) when that is longer.</summary>
    public static TimeSpan Delay(int attempt, TimeSpan? retryAfter, UpstreamOptions options, double random)
    {
        var backoff = Next(attempt, options.InitialRetryDelay, options.MaxRetryDelay, random);
        if (retryAfter is not { } asked)
        {
            return backoff;
        }

        var honoured = asked > options.MaxRetryAfter ? options.MaxRetryAfter : asked;
        return honoured > backoff ? honoured : backoff;
    }
}
