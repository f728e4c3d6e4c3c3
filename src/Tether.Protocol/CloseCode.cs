namespace Tether.Protocol;

/// <summary>
/// Why a connection was closed, as carried by CLOSE frames. Values 4000-4499 are application codes after which a
/// client reconnects; 4500-4999 are application codes after which it does not.
/// </summary>
public enum CloseCode : ushort
{
    /// <summary>Closed on purpose by the peer. The client does not reconnect.</summary>
    Normal = 1000,

    /// <summary>The server is shutting down or restarting. Reconnect after the retry-after hint.</summary>
    GoingAway = 1001,

    /// <summary>A malformed frame or a frame out of order.</summary>
    ProtocolError = 1002,

    /// <summary>Client and server share no protocol version. Cannot heal.</summary>
    UnsupportedVersion = 1003,

    /// <summary>A frame exceeded the receiver's maximum frame size.</summary>
    FrameTooLarge = 1004,

    /// <summary>The handshake did not complete in time.</summary>
    HandshakeTimeout = 1005,

    /// <summary>Nothing was received from the peer for the heartbeat timeout.</summary>
    HeartbeatTimeout = 1006,

    /// <summary>The credentials were rejected. Cannot heal.</summary>
    AuthFailed = 1007,

    /// <summary>The server is overloaded; try again later.</summary>
    ServerBusy = 1008,

    /// <summary>The peer did not keep up with its outbound queue.</summary>
    SlowConsumer = 1009,

    /// <summary>Another connection took over this client id or session. The client does not reconnect.</summary>
    Replaced = 1010,

    /// <summary>An unexpected error on the server.</summary>
    InternalError = 1011,

    /// <summary>Too many messages or bytes.</summary>
    RateLimited = 1012,

    /// <summary>A connection limit (global or per source address) was reached.</summary>
    TooManyConnections = 1013,

    /// <summary>The credentials expired. The client reconnects only with new credentials.</summary>
    AuthExpired = 1014,
}
