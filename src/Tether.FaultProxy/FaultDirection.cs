namespace Tether.FaultProxy;

/// <summary>The traffic direction a fault applies to.</summary>
public enum FaultDirection
{
    /// <summary>Both directions.</summary>
    Both,

    /// <summary>Bytes sent by the client (the side that connected to the proxy) towards the target.</summary>
    ClientToServer,

    /// <summary>Bytes sent by the target towards the client.</summary>
    ServerToClient,
}
