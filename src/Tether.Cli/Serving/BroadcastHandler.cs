using System.Buffers;
using Microsoft.Extensions.Logging;
using Tether.Server;

namespace Tether.Cli.Serving;

/// <summary>
/// The chat-room application of <c>tether serve --app broadcast</c>: every message is broadcast to every connection, the
/// sender included, each in its own listener's framing. A broadcast never waits for a slow client.
/// </summary>
internal sealed partial class BroadcastHandler(ILogger<BroadcastHandler> logger) : TetherServerHandler
{
    public override ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message)
    {
        var server = connection.Server;
        int delivered;
        if (message.IsSingleSegment)
        {
            delivered = server.Broadcast(message.FirstSpan);
        }
        else
        {
            var length = checked((int)message.Length);
            var copy = ArrayPool<byte>.Shared.Rent(length);
            message.CopyTo(copy);
            delivered = server.Broadcast(copy.AsSpan(0, length));
            ArrayPool<byte>.Shared.Return(copy);
        }

        LogBroadcast(logger, message.Length, connection.Id, delivered);
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Debug, Message = "Broadcast {Length} bytes from connection #{ConnectionId} to {Delivered} connections")]
    private static partial void LogBroadcast(ILogger logger, long length, long connectionId, int delivered);
}
