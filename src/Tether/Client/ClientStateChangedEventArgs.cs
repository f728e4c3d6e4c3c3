using System.Net;

namespace Tether.Client;

/// <summary>A state transition of a <see cref="TetherClient"/>, with its reason.</summary>
public sealed class ClientStateChangedEventArgs : EventArgs
{
    /// <summary>Creates the event arguments.</summary>
    public ClientStateChangedEventArgs(ClientState previous, ClientState current)
    {
        Previous = previous;
        Current = current;
    }

    /// <summary>The state before.</summary>
    public ClientState Previous { get; }

    /// <summary>The state now.</summary>
    public ClientState Current { get; }

    /// <summary>Why the last connection ended (for <see cref="ClientState.Reconnecting"/> and <see cref="ClientState.Closed"/>).</summary>
    public DisconnectInfo? Disconnect { get; init; }

    /// <summary>The error of a failed connection attempt, or the terminal error of <see cref="ClientState.Closed"/>.</summary>
    public Exception? Exception { get; init; }

    /// <summary>For <see cref="ClientState.Reconnecting"/>: the number of the attempt about to be made (1-based).</summary>
    public int Attempt { get; init; }

    /// <summary>For <see cref="ClientState.Reconnecting"/>: how long the client waits before that attempt.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>When the transition happened (by the client's <see cref="TimeProvider"/>): handlers run after it, in order.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>The endpoint of the connection (connected) or of the next attempt (reconnecting).</summary>
    public EndPoint? EndPoint { get; init; }
}
