using System.Buffers;

namespace Tether.Client;

/// <summary>
/// Receives a <see cref="TetherClient"/>'s messages without a copy, for clients on a hot path. Calls come in order and
/// never overlap; while one runs the client reads no further bytes (back-pressure to the server), and the heartbeat
/// does not count the pause against the server. Without a handler, messages are copied for
/// <see cref="TetherClient.ReadAllAsync"/>.
/// </summary>
public abstract class TetherClientHandler
{
    /// <summary>
    /// A message arrived. <paramref name="message"/> is a view of the receive buffer, valid only until the returned task
    /// completes: copy what you keep.
    /// </summary>
    public abstract ValueTask OnMessageAsync(TetherClient client, ReadOnlySequence<byte> message);
}
