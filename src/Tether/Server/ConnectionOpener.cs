using System.Net.Sockets;
using Tether.Transport.Tls;

namespace Tether.Server;

/// <summary>
/// Turns an admitted socket into a <see cref="TetherConnection"/>, setting up TLS first on a TLS listener. The TLS
/// set-up lives here, apart from admission and the accept loop, so that it can be replaced on its own.
/// </summary>
internal sealed class ConnectionOpener
{
    private readonly TetherServer _server;
    private long _nextConnectionId;

    public ConnectionOpener(TetherServer server) => _server = server;

    /// <summary>The new connection, or null (its sockets disposed) when it could not be set up.</summary>
    public TetherConnection? TryOpen(Socket socket, ServerListener listener)
    {
        TetherConnection connection;
        TlsTunnel? tunnel = null;
        var transportSocket = socket;
        try
        {
            if (listener.Options.Tls is not null)
            {
                tunnel = TlsTunnel.ForServer(socket, _server.TimeProvider, _server.Options.CloseLinger, out transportSocket);
            }

            connection = new TetherConnection(_server, transportSocket, tunnel is null ? null : socket, Interlocked.Increment(ref _nextConnectionId), listener);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The peer left while it was being admitted (or descriptors ran out): nothing to keep, and accepting goes on.
            tunnel?.Dispose();
            transportSocket.Dispose();
            socket.Dispose();
            return null;
        }

        tunnel?.Start(listener.Options.Tls!, OnTlsHandshakeFailed);
        return connection;
    }

    private void OnTlsHandshakeFailed(Exception ex)
    {
        _server.Metrics.HandshakeFailures.Add(1, new KeyValuePair<string, object?>("reason", "tls"));
        _server.Log.TlsHandshakeFailed(ex.GetBaseException().Message);
    }
}
