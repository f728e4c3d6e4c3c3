namespace Tether;

/// <summary>Why a connection ended, from the point of view of the side that reports it.</summary>
public enum DisconnectReason
{
    /// <summary>The socket closed or failed without a CLOSE frame (FIN, RST, network error).</summary>
    ConnectionLost,

    /// <summary>Nothing was received from the peer for the heartbeat timeout (dead or half-open link).</summary>
    HeartbeatTimeout,

    /// <summary>The handshake did not complete in time.</summary>
    HandshakeTimeout,

    /// <summary>The handshake was refused (version, credentials, limits); see <see cref="DisconnectInfo.Code"/>.</summary>
    HandshakeRejected,

    /// <summary>The peer broke the protocol, or we did.</summary>
    ProtocolError,

    /// <summary>The peer sent a CLOSE frame; see <see cref="DisconnectInfo.Code"/>.</summary>
    ClosedByPeer,

    /// <summary>This side closed the connection on purpose (application or user).</summary>
    ClosedLocally,

    /// <summary>The server is shutting down (GOAWAY, or the drain ended).</summary>
    GoingAway,

    /// <summary>The peer could not keep up with what was sent to it.</summary>
    SlowConsumer,

    /// <summary>Another connection took over the same client id.</summary>
    Replaced,

    /// <summary>An application handler failed.</summary>
    ApplicationError,

    /// <summary>The peer sent faster than the server's rate limits allow.</summary>
    RateLimited,
}
