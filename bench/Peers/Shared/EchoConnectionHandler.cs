// The echo ConnectionHandler of both Kestrel peers (KestrelEcho, KestrelTlsEcho): every received byte is written back.
using System.Buffers;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Tether.Bench.Peers;

/// <summary>
/// Echoes each connection's bytes: read, write the buffer back, advance, flush. When the server stops, Kestrel asks each
/// connection to close (the lifetime notification feature), and the pending read is cancelled so that the handler ends.
/// </summary>
internal sealed class EchoConnectionHandler : ConnectionHandler
{
    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var closeRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? CancellationToken.None;
        using var onCloseRequested = closeRequested.Register(input.CancelPendingRead);
        try
        {
            while (true)
            {
                var result = await input.ReadAsync();
                var buffer = result.Buffer;
                foreach (var segment in buffer)
                {
                    output.Write(segment.Span);
                }

                input.AdvanceTo(buffer.End);
                var flush = await output.FlushAsync();
                if (result.IsCompleted || result.IsCanceled || flush.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (ConnectionResetException)
        {
            // The peer went away abruptly: an ordinary end of a connection, not an error to log.
        }
    }
}
