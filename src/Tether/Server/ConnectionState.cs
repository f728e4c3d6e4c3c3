namespace Tether.Server;

/// <summary>Lifecycle of a server-side connection.</summary>
public enum ConnectionState
{
    /// <summary>Accepted; waiting for HELLO.</summary>
    Handshaking,

    /// <summary>WELCOME sent; messages flow.</summary>
    Open,

    /// <summary>Closing: CLOSE sent or the socket failed; no more messages.</summary>
    Closing,

    /// <summary>Gone: the socket is closed and the connection left the registry.</summary>
    Closed,
}
