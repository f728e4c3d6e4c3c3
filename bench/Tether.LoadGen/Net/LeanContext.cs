using System.Net;

namespace Tether.LoadGen.Net;

/// <summary>What every lean connection of a run shares: where to connect, the counters, the heartbeat wheel.</summary>
internal sealed class LeanContext(IPEndPoint target, IPAddress? source, RunStats stats, HeartbeatWheel wheel)
{
    public IPEndPoint Target { get; } = target;

    public IPAddress? Source { get; } = source;

    public RunStats Stats { get; } = stats;

    public HeartbeatWheel Wheel { get; } = wheel;
}
