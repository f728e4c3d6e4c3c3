using System.Buffers;
using Microsoft.Extensions.Logging;
using Tether.Server;

namespace Tether.Cli.Serving;

/// <summary>
/// The demo application of <c>tether serve</c>: every message goes back to the connection that sent it, framed as the
/// connection's listener frames messages (a Tether DATA frame, a line, a length prefix, raw bytes). Connects and
/// disconnects are already logged by the server itself, so this only adds per-message detail at debug level.
/// </summary>
internal sealed partial class EchoHandler(ILogger<EchoHandler> logger) : TetherServerHandler
{
    public override ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message)
    {
        LogEcho(logger, message.Length, connection.Id);

        // The view stays valid until OnMessageAsync completes, and SendAsync copies before it completes. Sent at once is
        // the common case, which then costs no async state machine.
        var sent = message.IsSingleSegment ? connection.SendAsync(message.First) : EchoCopyAsync(connection, message);
        return sent.IsCompletedSuccessfully ? ValueTask.CompletedTask : ObserveAsync(sent, connection, message.Length);
    }

    private async ValueTask ObserveAsync(ValueTask sent, TetherConnection connection, long length)
    {
        try
        {
            await sent.ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            // The message cannot go back as it came: a line that ends in '\r' (the peer sent "\r\r\n"), or more than
            // the peer accepts. The framing refuses it before writing anything, so the connection is still sound; a
            // demo should say so and go on rather than fail the connection as a handler error.
            LogCannotEcho(logger, length, connection.Id, ex.Message);
        }
        catch (TetherException) when (connection.State is ConnectionState.Closing or ConnectionState.Closed)
        {
            // The peer went away (or was closed, e.g. over a rate limit) while its echo waited for room: nothing to send
            // it to, and nothing the application did wrong.
        }
    }

    private static async ValueTask EchoCopyAsync(TetherConnection connection, ReadOnlySequence<byte> message)
    {
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

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Cannot echo {Length} bytes to connection #{ConnectionId}: {Reason}")]
    private static partial void LogCannotEcho(ILogger logger, long length, long connectionId, string reason);
}
