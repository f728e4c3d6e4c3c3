namespace Tether.Heartbeat;

/// <summary>What the liveness rule says to do for a connection at a given moment.</summary>
internal enum LivenessVerdict
{
    /// <summary>Nothing to do until the next due time.</summary>
    Wait,

    /// <summary>Nothing was sent for the interval: send a PING.</summary>
    SendPing,

    /// <summary>Nothing was received for the timeout: the peer is dead.</summary>
    Dead,
}
