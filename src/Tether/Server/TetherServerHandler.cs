using System.Buffers;
using Tether.Sessions;

namespace Tether.Server;

/// <summary>
/// The application's side of a server: override what you need. Calls for one connection never overlap and come in
/// order: <see cref="OnConnectedAsync"/>, then each message, then <see cref="OnDisconnectedAsync"/> exactly once.
/// While a call is running, no further bytes are read from that connection (back-pressure), and the heartbeat does
/// not count the pause against the peer.
/// </summary>
public abstract class TetherServerHandler
{
    /// <summary>A connection completed its handshake. Throwing closes it with INTERNAL_ERROR.</summary>
    public virtual ValueTask OnConnectedAsync(TetherConnection connection) => ValueTask.CompletedTask;

    /// <summary>
    /// A message arrived. <paramref name="message"/> is a view of the receive buffer, valid only until the returned task
    /// completes: copy what you keep. Throwing closes the connection with INTERNAL_ERROR.
    /// </summary>
    public virtual ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message) => ValueTask.CompletedTask;

    /// <summary>
    /// The connection ended (once, after its last message), with the reason. With a session, the session is only
    /// detached: it waits for the client to resume, and messages sent to it meanwhile are delivered then.
    /// </summary>
    public virtual ValueTask OnDisconnectedAsync(TetherConnection connection, DisconnectInfo info) => ValueTask.CompletedTask;

    /// <summary>
    /// A session ended with messages possibly undelivered: it expired while detached holding messages the client had not
    /// acknowledged, overflowed, was superseded by a new session of the same client id, or a client asked to resume a
    /// session this server does not know (after a restart). <see cref="SessionLostInfo.UnacknowledgedSent"/> says how
    /// many messages to the client may be missing. A session that expires with nothing undelivered has ended, not been
    /// lost: it is only counted (<c>tether.session.expired</c>). Called once per lost session, from a background
    /// thread; exceptions are logged.
    /// </summary>
    public virtual ValueTask OnSessionLostAsync(SessionLostInfo info) => ValueTask.CompletedTask;
}
