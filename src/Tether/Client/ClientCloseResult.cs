namespace Tether.Client;

/// <summary>
/// What a graceful <see cref="TetherClient.CloseAsync(TimeSpan, CancellationToken)"/> could not deliver: the messages the
/// server had not acknowledged when the client closed. Loss is never silent: an application may store these and send
/// them again later.
/// </summary>
public sealed class ClientCloseResult
{
    internal ClientCloseResult(IReadOnlyList<ReadOnlyMemory<byte>> unacknowledgedMessages, int unacknowledged)
    {
        UnacknowledgedMessages = unacknowledgedMessages;
        Unacknowledged = unacknowledged;
    }

    /// <summary>How many messages accepted by <see cref="TetherClient.SendAsync"/> the server never acknowledged.</summary>
    public int Unacknowledged { get; }

    /// <summary>
    /// Copies of those messages, oldest first (empty for messages of a session lost earlier without a
    /// <see cref="TetherClient.SessionLost"/> handler, whose payloads were already freed; <see cref="Unacknowledged"/>
    /// still counts them).
    /// </summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> UnacknowledgedMessages { get; }

    /// <summary>True when the server acknowledged everything that was sent.</summary>
    public bool Complete => Unacknowledged == 0;
}
