namespace Tether.Hostile.Wire;

/// <summary>How a hostile peer's connection ended, as the peer saw it.</summary>
internal enum PeerEnd
{
    /// <summary>The server sent a CLOSE frame (its code is in the observation), then closed.</summary>
    Close,

    /// <summary>The connection ended (FIN or reset) without a CLOSE frame.</summary>
    NoClose,

    /// <summary>Still open when the peer stopped waiting.</summary>
    StillOpen,

    /// <summary>The TCP connection could not be opened.</summary>
    ConnectFailed,

    /// <summary>The peer closed on purpose (churners), expecting nothing.</summary>
    ClosedByPeer,
}
