using Tether.Heartbeat;

namespace Tether.Server;

/// <summary>
/// How fine the timing wheel must tick for the deadlines it serves. A peer is dropped within its timeout plus one tick,
/// so a tick of a tenth of the shortest timeout keeps that within 10 %; a probe must go out close to its interval, so a
/// quarter of the shortest probe interval. Never finer than 10 ms unless configured so: each tick wakes a thread.
/// </summary>
internal static class WheelTickPolicy
{
    /// <summary>The finest tick this policy chooses by itself.</summary>
    public static readonly TimeSpan Floor = TimeSpan.FromMilliseconds(10);

    /// <summary>The configured tick, or a finer one if the heartbeat timeout or a plain listener's liveness settings need it.</summary>
    public static TimeSpan For(HeartbeatOptions heartbeat, IEnumerable<ListenerOptions> listeners)
    {
        var configured = heartbeat.TickInterval;
        var needed = Min(configured, heartbeat.Timeout / 10);
        foreach (var listener in listeners.Where(l => l.Framing is not null))
        {
            needed = Min(needed, (listener.IdleTimeout ?? heartbeat.Timeout) / 10);
            if (!listener.Probe.IsEmpty)
            {
                needed = Min(needed, (listener.ProbeInterval ?? heartbeat.Interval) / 4);
            }
        }

        return needed < configured ? Min(configured, Max(Floor, needed)) : configured;
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
