using Tether.Sessions;

namespace Tether.Client;

/// <summary>
/// The client's session could not be resumed (expired, overflowed, unknown to the server, not granted): messages in
/// either direction may be missing. The client goes on in a new session (or without one, if the server grants none).
/// </summary>
public sealed class SessionLostEventArgs(SessionLostInfo info, IReadOnlyList<ReadOnlyMemory<byte>> unacknowledged) : EventArgs
{
    /// <summary>Which session, why, and how many messages each side may have lost.</summary>
    public SessionLostInfo Info { get; } = info;

    /// <summary>
    /// Copies of the messages this client sent in the lost session that the server never acknowledged, oldest first:
    /// the application may send them again in the new session.
    /// </summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Unacknowledged { get; } = unacknowledged;
}
