using System.Net.Security;
using System.Net.Sockets;
using Tether.Diagnostics;
using Tether.Transport.Portable;
using Tether.Transport.Readiness;
using Tether.Transport.Tls;

namespace Tether.Transport;

/// <summary>
/// Builds the transport for a connected socket from a <see cref="TransportKind"/>, resolved once per server or client:
/// the only place that knows which implementations exist.
/// </summary>
internal sealed class TransportFactory
{
    private const string EnvironmentVariable = "TETHER_TRANSPORT";

    private readonly TransportKind _requested;
    private readonly ReadinessEngine? _engine;
    private readonly TetherMetrics _metrics;

    /// <param name="kind">What the options ask for.</param>
    /// <param name="engine">The engine to register with (the process's own unless a test gives one).</param>
    /// <param name="metrics">Where transports count bytes.</param>
    public TransportFactory(TransportKind kind, ReadinessEngine? engine, TetherMetrics metrics)
    {
        _requested = Resolve(kind);
        _metrics = metrics;
        if (_requested == TransportKind.Epoll)
        {
            _engine = engine ?? ReadinessEngine.Shared ?? throw new ArgumentException(
                "transport epoll needs Linux with glibc's epoll, which this machine lacks: use auto or portable");
        }
    }

    /// <summary>The engine sockets are registered with, or null for the portable transport.</summary>
    public ReadinessEngine? Engine => _engine;

    /// <summary>What new connections get now: epoll, or portable once the engine has failed under <see cref="TransportKind.Auto"/>.</summary>
    public TransportKind Current => _engine is { HasFailed: false } ? TransportKind.Epoll : TransportKind.Portable;

    /// <summary>
    /// The kind <paramref name="kind"/> stands for on this machine: <see cref="TransportKind.Auto"/> becomes what
    /// <c>TETHER_TRANSPORT</c> names, else epoll where available, else portable.
    /// </summary>
    public static TransportKind Resolve(TransportKind kind)
    {
        if (kind != TransportKind.Auto)
        {
            return kind;
        }

        var forced = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.Equals(forced, "portable", StringComparison.OrdinalIgnoreCase))
        {
            return TransportKind.Portable;
        }

        return ReadinessEngine.Shared is null ? TransportKind.Portable : TransportKind.Epoll;
    }

    /// <summary>
    /// The transport for <paramref name="socket"/>, which it owns from now on; with <paramref name="tls"/> (server side)
    /// a <see cref="TlsTransport"/> whose <see cref="SocketTransport.OpenAsync"/> runs the handshake.
    /// </summary>
    public SocketTransport Create(Socket socket, int maxReceiveBuffer, SslServerAuthenticationOptions? tls = null)
    {
        var plain = CreatePlain(socket, maxReceiveBuffer);
        return tls is null ? plain : new TlsTransport(plain, tls, maxReceiveBuffer, _metrics);
    }

    /// <summary>A client's TLS transport over <paramref name="socket"/>, not yet authenticated.</summary>
    public TlsTransport CreateClientTls(Socket socket, int maxReceiveBuffer) =>
        new(CreatePlain(socket, maxReceiveBuffer), serverOptions: null, maxReceiveBuffer, _metrics);

    private PlainSocketTransport CreatePlain(Socket socket, int maxReceiveBuffer) => _engine is { HasFailed: false } engine
        ? new EpollTransport(socket, engine, maxReceiveBuffer, _metrics)
        : new PortableTransport(socket, maxReceiveBuffer, _metrics);
}
