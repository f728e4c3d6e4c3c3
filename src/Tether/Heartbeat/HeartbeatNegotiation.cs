namespace Tether.Heartbeat;

/// <summary>The server's side of heartbeat negotiation, exactly as docs/protocol.md section 8.1 computes it.</summary>
internal static class HeartbeatNegotiation
{
    public static HeartbeatSettings Decide(HeartbeatOptions policy, uint proposedIntervalMs, uint proposedTimeoutMs)
    {
        var defaultInterval = Milliseconds(policy.Interval);
        var interval = proposedIntervalMs == 0
            ? defaultInterval
            : Math.Clamp(proposedIntervalMs, Milliseconds(policy.MinInterval), Milliseconds(policy.MaxInterval));

        var scaled = proposedTimeoutMs != 0
            ? proposedTimeoutMs
            : Milliseconds(policy.Timeout) * interval / defaultInterval;

        var floor = ((3 * interval) + 1) / 2;
        var timeout = Math.Min(Math.Max(scaled, floor), Milliseconds(policy.MaxTimeout));
        return new HeartbeatSettings(TimeSpan.FromMilliseconds(interval), TimeSpan.FromMilliseconds(timeout));
    }

    private static long Milliseconds(TimeSpan time) => (long)time.TotalMilliseconds;
}
