using System.Buffers;
using Microsoft.Extensions.Logging;
using Tether.Server;

namespace Tether.Cli.Serving;

/// <summary>
/// The demo application of <c>tether serve</c>: every message goes back to the connection that sent it. Connects and
/// disconnects are already logged by the server itself, so this only adds per-message detail at debug level.
/// </summary>
internal sealed partial class EchoHandler(ILogger<EchoHandler> logger) : TetherServerHandler
{
    public override async ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message)
    {
        LogEcho(logger, message.Length, connection.Id);
        if (message.IsSingleSegment)
        {
            // The view stays valid until this method completes, and SendAsync copies before it completes.
            await connection.SendAsync(message.First).ConfigureAwait(false);
            return;
        }

        var length = checked((int)message.Length);
        var copy = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            message.CopyTo(copy);
            await connection.SendAsync(copy.AsMemory(0, length)).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Echoing {Length} bytes to connection #{ConnectionId}")]
    private static partial void LogEcho(ILogger logger, long length, long connectionId);
}
