using System.Buffers;

namespace Tether.Client;

/// <summary>Where a <see cref="ClientConnection"/> delivers the messages it receives (the owning client).</summary>
internal interface IMessageSink
{
    /// <summary>Delivers one message; the payload is valid until the task completes.</summary>
    ValueTask DeliverAsync(ReadOnlySequence<byte> payload, CancellationToken cancellationToken);
}
