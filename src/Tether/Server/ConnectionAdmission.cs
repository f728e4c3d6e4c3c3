using System.Buffers;
using System.Net.Sockets;
using Tether.Protocol;

namespace Tether.Server;

/// <summary>
/// Decides whether an accepted socket becomes a connection, cheapest refusal first: attempts per address per second
/// (<c>RATE_LIMITED</c>), then the total and per-address connection limits (<c>TOO_MANY_CONNECTIONS</c>). An admitted
/// socket is opened (<see cref="ConnectionOpener"/>), registered and started.
/// </summary>
internal sealed class ConnectionAdmission
{
    private readonly TetherServer _server;
    private readonly ConnectionOpener _opener;
    private readonly AddressConnectionCounts? _perAddress;
    private readonly AddressRateLimiter? _attempts;

    public ConnectionAdmission(TetherServer server, ConnectionOpener opener)
    {
        _server = server;
        _opener = opener;
        var options = server.Options;
        _perAddress = options.MaxConnectionsPerAddress < int.MaxValue ? new AddressConnectionCounts() : null;
        var rates = options.RateLimits;
        _attempts = rates.ConnectionsPerAddressPerSecond > 0 ? new AddressRateLimiter(server.TimeProvider, rates.ConnectionsPerAddressPerSecond, rates.ConnectionCapacity) : null;
    }

    public void Admit(Socket socket, ServerListener listener)
    {
        var options = _server.Options;
        var metrics = _server.Metrics;
        var log = _server.Log;

        // Cheapest refusals first: a flood is turned away before it costs a connection object or a TLS handshake.
        if (_attempts is not null && !_attempts.TryAcquire(socket.RemoteEndPoint))
        {
            metrics.LimitRejections.Add(1, new KeyValuePair<string, object?>("limit", "connection-rate-per-address"));
            log.ConnectionRateLimit(options.RateLimits.ConnectionsPerAddressPerSecond, socket.RemoteEndPoint);
            Refuse(socket, listener, CloseCode.RateLimited, "too many connection attempts from this address");
            return;
        }

        if (_server.Connections.Count >= options.MaxConnections)
        {
            metrics.LimitRejections.Add(1, new KeyValuePair<string, object?>("limit", "max-connections"));
            log.ConnectionLimit(options.MaxConnections, socket.RemoteEndPoint);
            Refuse(socket, listener, CloseCode.TooManyConnections, "connection limit reached");
            return;
        }

        var address = _perAddress is null ? null : AddressConnectionCounts.AddressOf(socket.RemoteEndPoint);
        if (address is not null && !_perAddress!.TryAcquire(address, options.MaxConnectionsPerAddress))
        {
            metrics.LimitRejections.Add(1, new KeyValuePair<string, object?>("limit", "max-connections-per-address"));
            log.AddressConnectionLimit(options.MaxConnectionsPerAddress, socket.RemoteEndPoint);
            Refuse(socket, listener, CloseCode.TooManyConnections, "connection limit for this address reached");
            return;
        }

        if (_opener.TryOpen(socket, listener) is not { } connection)
        {
            if (address is not null)
            {
                _perAddress!.Release(address);
            }

            return;
        }

        _server.Connections.Add(connection);
        metrics.ConnectionsAccepted.Add(1, new KeyValuePair<string, object?>("framing", listener.Options.FramingName));
        _ = connection.RunAsync(socket);
    }

    /// <summary>Gives back the per-address slot <paramref name="connection"/> held.</summary>
    public void Release(TetherConnection connection)
    {
        if (_perAddress is not null && AddressConnectionCounts.AddressOf(connection.RemoteEndPoint) is { } address)
        {
            _perAddress.Release(address);
        }
    }

    private static void Refuse(Socket socket, ServerListener listener, CloseCode code, string reason)
    {
        // Best effort: tell the peer why, then close. The buffer is tiny and the socket is new, so this never blocks long.
        // A TLS peer could not read a plaintext CLOSE, and a TLS handshake is the work being shed: it is only closed.
        try
        {
            if (listener.Options.Tls is not null)
            {
                return;
            }

            var writer = new ArrayBufferWriter<byte>(64);
            if (listener.Plain is { } plain)
            {
                plain.Framing.WriteFarewell(code, reason, writer);
            }
            else
            {
                new CloseFrame { Code = code, RetryAfterMs = 1000, Reason = reason }.Write(writer);
            }

            socket.Send(writer.WrittenSpan, SocketFlags.None);
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }
}
