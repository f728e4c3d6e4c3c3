namespace Tether.Client;

/// <summary>
/// Exponential backoff with full jitter: spreads a crowd of clients that lost the same server uniformly over the
/// whole window, so they do not come back in waves.
/// </summary>
internal sealed class ExponentialBackoff
{
    private readonly TimeSpan _base;
    private readonly TimeSpan _max;
    private readonly Random _random;

    /// <summary>Creates a backoff; pass a seeded <paramref name="random"/> for reproducible delays.</summary>
    public ExponentialBackoff(TimeSpan baseDelay, TimeSpan maxDelay, Random? random = null)
    {
        _base = baseDelay;
        _max = maxDelay;
        _random = random ?? Random.Shared;
    }

    /// <summary>The upper bound of the delay before attempt <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan Ceiling(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        var exponent = Math.Min(attempt - 1, 62);
        var ceiling = _base.TotalMilliseconds * Math.Pow(2, exponent);
        return TimeSpan.FromMilliseconds(Math.Min(ceiling, _max.TotalMilliseconds));
    }

    /// <summary>A random delay in [0, <see cref="Ceiling"/>] for attempt <paramref name="attempt"/> (1-based).</summary>
    public TimeSpan NextDelay(int attempt) => Ceiling(attempt) * _random.NextDouble();
}
