using System.Net.Sockets;
using Tether.Protocol;
using Tether.Transport;
using Tether.Transport.Readiness;

namespace Tether.Server;

/// <summary>
/// Turns an admitted socket into a <see cref="TetherConnection"/> over the transport the options chose (epoll or
/// portable, with TLS on a TLS listener), and reports what goes wrong below the protocol: TLS handshakes that fail, and
/// a readiness engine that fails (logged once at error level and counted; its connections close with the reason and
/// new ones use the portable transport).
/// </summary>
internal sealed class ConnectionOpener : IDisposable
{
    private const int HandshakeReceiveBuffer = ProtocolConstants.HeaderSize + ProtocolConstants.HandshakeMaxBodySize;

    private readonly TetherServer _server;
    private readonly TransportFactory _transports;
    private readonly Action<int> _onEngineFailed;
    private long _nextConnectionId;

    public ConnectionOpener(TetherServer server)
    {
        _server = server;
        _transports = new TransportFactory(server.Options.Transport, server.Options.Engine, server.Metrics);
        _onEngineFailed = OnEngineFailed;
        _transports.Engine?.Failed += _onEngineFailed;
    }

    /// <summary>What new connections get now.</summary>
    public TransportKind CurrentTransport => _transports.Current;

    /// <summary>The new connection, or null (its socket disposed) when it could not be set up.</summary>
    public TetherConnection? TryOpen(Socket socket, ServerListener listener)
    {
        try
        {
            var transport = _transports.Create(socket, HandshakeReceiveBuffer, listener.Options.Tls);
            return new TetherConnection(_server, transport, Interlocked.Increment(ref _nextConnectionId), listener);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            // The peer left while it was being admitted (or descriptors ran out): nothing to keep, and accepting goes on.
            socket.Dispose();
            return null;
        }
    }

    /// <summary>A TLS handshake failed on its own (not ended by the handshake deadline or a stop).</summary>
    public void OnTlsHandshakeFailed(Exception ex)
    {
        _server.Metrics.HandshakeFailures.Add(1, new KeyValuePair<string, object?>("reason", "tls"));
        _server.Log.TlsHandshakeFailed(ex.GetBaseException().Message);
    }

    public void Dispose() => _transports.Engine?.Failed -= _onEngineFailed;

    private void OnEngineFailed(int errno)
    {
        _server.Metrics.EngineFailures.Add(1);
        _server.Log.EngineFailed(ReadinessEngine.FailureMessage(errno), "portable");
    }
}
