using System.Net;
using Tether.Framing;
using Tether.Server;

namespace Tether.Cli.Parsing;

/// <summary>
/// One <c>--listen</c> value as parsed by <see cref="ListenSpecParser"/>: where to listen, how peers frame their
/// messages, and the liveness settings of a plain listener. Settings left null or empty take the server's defaults.
/// Immutable, so that every <see cref="ToListenerOptions"/> call gets listener options of its own.
/// </summary>
internal sealed class ListenSpec
{
    public ListenSpec(IPEndPoint endPoint, IFraming? framing)
    {
        EndPoint = endPoint;
        Framing = framing;
    }

    /// <summary>What <c>tether serve</c> listens on without <c>--listen</c>: 127.0.0.1:7447, the Tether protocol.</summary>
    public static ListenSpec Default { get; } = new(new IPEndPoint(IPAddress.Loopback, EndPointParser.DefaultPort), framing: null);

    public IPEndPoint EndPoint { get; }

    /// <summary>The plain framing, or null for the Tether protocol.</summary>
    public IFraming? Framing { get; }

    public TimeSpan? IdleTimeout { get; init; }

    public ReadOnlyMemory<byte> Probe { get; init; }

    public TimeSpan? ProbeInterval { get; init; }

    public ReadOnlyMemory<byte> Ping { get; init; }

    public ReadOnlyMemory<byte> Pong { get; init; }

    /// <summary>The listener speaks TLS (with the certificate of <c>--tls-cert</c>).</summary>
    public bool Tls { get; init; }

    public ListenerOptions ToListenerOptions() => new(EndPoint, Framing)
    {
        IdleTimeout = IdleTimeout,
        Probe = Probe,
        ProbeInterval = ProbeInterval,
        PingMessage = Ping,
        PongMessage = Pong,
    };
}
