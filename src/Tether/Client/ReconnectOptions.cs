namespace Tether.Client;

/// <summary>
/// How a client comes back after losing its connection: exponential backoff with full jitter,
/// delay(n) = random(0, min(<see cref="MaxDelay"/>, <see cref="BaseDelay"/> * 2^(n-1))), never sooner than a
/// server's retry-after hint.
/// </summary>
public sealed class ReconnectOptions
{
    /// <summary>Reconnect automatically at all. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Backoff base. Default 500 ms.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Backoff cap. Default 5 s. With full jitter the cap is also about the longest a client sleeps past the moment its
    /// server is back, so the last of a crowd of clients whose server restarted comes back about one cap after it
    /// listens; five seconds still spreads that crowd over five seconds (docs/benchmarks.md, "Runtime settings").
    /// </summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many connection attempts in a row may fail (the first one included; a connection that breaks before it was
    /// stable counts as one) before the client gives up; null for unlimited (the default).
    /// </summary>
    public int? MaxAttempts { get; set; }

    /// <summary>A connection that stayed up this long resets the attempt counter. Default 30 s.</summary>
    public TimeSpan StableAfter { get; set; } = TimeSpan.FromSeconds(30);

    internal void Validate()
    {
        if (BaseDelay < TimeSpan.Zero || MaxDelay < BaseDelay)
        {
            throw new ArgumentException("reconnect delays must satisfy 0 <= base <= max");
        }

        if (MaxAttempts is < 1)
        {
            throw new ArgumentException("the maximum number of connection attempts must be at least 1");
        }
    }
}
