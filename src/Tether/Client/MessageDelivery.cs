using System.Buffers;
using System.Threading.Channels;
using Tether.Diagnostics;

namespace Tether.Client;

/// <summary>
/// Where a client's connections deliver received messages: to the application's <see cref="TetherClientHandler"/>
/// (a view of the receive buffer, no copy) or, without one, as a copy into the bounded inbox that
/// <see cref="TetherClient.ReadAllAsync"/> reads. A full inbox makes the receive loop wait: back-pressure to the server.
/// </summary>
internal sealed class MessageDelivery : IMessageSink
{
    private readonly TetherClient _client;
    private readonly TetherClientHandler? _handler;
    private readonly ClientEvents _events;
    private readonly Channel<ReadOnlyMemory<byte>> _inbox;

    public MessageDelivery(TetherClient client, TetherClientHandler? handler, ClientEvents events, int inboxCapacity)
    {
        _client = client;
        _handler = handler;
        _events = events;
        _inbox = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(inboxCapacity)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public bool HasHandler => _handler is not null;

    public ChannelReader<ReadOnlyMemory<byte>> Inbox => _inbox.Reader;

    /// <summary>Ends the inbox: a reader sees the end once it has read what is there.</summary>
    public void Complete() => _inbox.Writer.TryComplete();

    public ValueTask DeliverAsync(ReadOnlySequence<byte> payload, CancellationToken cancellationToken)
    {
        if (_handler is not null)
        {
            try
            {
                var handled = _handler.OnMessageAsync(_client, payload);
                return handled.IsCompletedSuccessfully
                    ? ValueTask.CompletedTask
                    : HandlerGuard.ObserveAsync(handled, _events, static (events, ex) => events.OnCallbackFailed(nameof(TetherClientHandler.OnMessageAsync), ex));
            }
#pragma warning disable CA1031 // The application's handler may throw anything; the connection goes on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                _events.OnCallbackFailed(nameof(TetherClientHandler.OnMessageAsync), ex);
                return ValueTask.CompletedTask;
            }
        }

        var message = payload.ToArray();
        return _inbox.Writer.TryWrite(message) ? ValueTask.CompletedTask : _inbox.Writer.WriteAsync(message, cancellationToken);
    }
}
