namespace Tether.Cli.Soak;

/// <summary>The faults a soak injects on one client's path.</summary>
internal enum FaultKind
{
    /// <summary>Both sockets of the path reset (RST), as by a middlebox that lost its state.</summary>
    Reset,

    /// <summary>Nothing gets through in one or both directions for a while (half-open link); bytes are dropped, not held.</summary>
    BlackHole,

    /// <summary>Added latency for a while.</summary>
    Delay,

    /// <summary>Bytes forwarded one at a time for a while (split frames everywhere).</summary>
    Slice,

    /// <summary>A reset, and new connections refused for a while, as while a server or a load balancer is down.</summary>
    Refuse,
}
