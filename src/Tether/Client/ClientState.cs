namespace Tether.Client;

/// <summary>Where a <see cref="TetherClient"/> is in its lifecycle.</summary>
public enum ClientState
{
    /// <summary>Created; <see cref="TetherClient.ConnectAsync"/> not called yet.</summary>
    Disconnected,

    /// <summary>Making its first connection.</summary>
    Connecting,

    /// <summary>Connected and handshaken; messages flow.</summary>
    Connected,

    /// <summary>The connection was lost; waiting to try again or trying.</summary>
    Reconnecting,

    /// <summary>Closed for good (by the application, or after an error that retrying cannot heal).</summary>
    Closed,
}
