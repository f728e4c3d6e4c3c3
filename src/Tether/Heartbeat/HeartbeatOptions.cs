namespace Tether.Heartbeat;

/// <summary>
/// Server-side heartbeat policy: what the server decides when a client proposes an interval and timeout (or none).
/// </summary>
public sealed class HeartbeatOptions
{
    /// <summary>Interval used when the client has no preference. Default 30 s, inside common NAT idle windows.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Timeout used when the client has no preference. Default 75 s (2.5 intervals).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(75);

    /// <summary>Smallest interval a client may ask for. Default 1 s.</summary>
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest interval a client may ask for. Default 5 min.</summary>
    public TimeSpan MaxInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Largest timeout a client may ask for. Default 15 min.</summary>
    public TimeSpan MaxTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Granularity of the server's timing wheel. A silent peer is dropped within timeout + one tick. The server ticks
    /// finer where its deadlines need it: at most a tenth of <see cref="Timeout"/> and of every plain listener's idle
    /// timeout, and a quarter of every plain listener's probe interval, but not below 10 ms (unless set below). Default 250 ms.
    /// </summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    internal void Validate()
    {
        if (Interval <= TimeSpan.Zero || Timeout <= TimeSpan.Zero || MinInterval <= TimeSpan.Zero || TickInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("heartbeat interval, timeout, minimum interval and tick must be positive");
        }

        if (MinInterval > Interval || Interval > MaxInterval)
        {
            throw new ArgumentException($"the heartbeat interval ({Interval.TotalSeconds:0.###} s) must lie between the minimum ({MinInterval.TotalSeconds:0.###} s) and the maximum ({MaxInterval.TotalSeconds:0.###} s)");
        }

        if (MaxTimeout < MaxInterval * 1.5)
        {
            throw new ArgumentException("the maximum heartbeat timeout must be at least 1.5 times the maximum interval");
        }

        if (Timeout < Interval)
        {
            throw new ArgumentException($"heartbeat timeout ({Timeout.TotalSeconds:0.###} s) must be at least the interval ({Interval.TotalSeconds:0.###} s)");
        }
    }
}
