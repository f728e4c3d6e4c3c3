using System.Buffers;
using System.Net;
using Tether.Framing;

namespace Tether.Server;

/// <summary>
/// One endpoint a <see cref="TetherServer"/> listens on, and how its peers talk. Without a <see cref="Framing"/> the
/// peers speak the full Tether protocol (handshake, heartbeat, sessions). With one, they are plain TCP programs: every
/// frame the framing cuts is a message for <see cref="TetherServerHandler.OnMessageAsync"/>, and messages sent to them
/// are written through the same framing. Plain connections get the same registry, push, limits, metrics and graceful
/// stop; their liveness is an idle timeout (any inbound byte proves the peer alive), optionally with a probe.
/// </summary>
public sealed class ListenerOptions
{
    /// <summary>Creates a listener on <paramref name="endPoint"/>; <paramref name="framing"/> null means the Tether protocol.</summary>
    public ListenerOptions(IPEndPoint endPoint, IFraming? framing = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        EndPoint = endPoint;
        Framing = framing;
    }

    /// <summary>Where to listen (port 0 picks a free port).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>How plain peers frame their messages, or null for the Tether protocol.</summary>
    public IFraming? Framing { get; }

    /// <summary>The framing's name, <c>tether</c> for the protocol.</summary>
    public string FramingName => Framing?.Name ?? "tether";

    /// <summary>
    /// TLS for every connection on this listener, or null for plain TCP. Set at least
    /// <see cref="System.Net.Security.SslServerAuthenticationOptions.ServerCertificate"/> (or its context); to ask for
    /// client certificates, set <see cref="System.Net.Security.SslServerAuthenticationOptions.ClientCertificateRequired"/>
    /// and a validation callback (see <see cref="Security.CertificateTrust"/>). The TLS handshake counts against
    /// <see cref="TetherServerOptions.HandshakeTimeout"/>.
    /// </summary>
    public System.Net.Security.SslServerAuthenticationOptions? Tls { get; set; }

    /// <summary>
    /// Plain framings: a peer from which nothing (not one byte) arrived for this long is closed as dead. Default: the
    /// server's <see cref="Heartbeat.HeartbeatOptions.Timeout"/>.
    /// </summary>
    public TimeSpan? IdleTimeout { get; set; }

    /// <summary>
    /// Plain framings: a message written to a peer after this much inbound silence, and again after each further
    /// interval of silence, so that a peer which answers anything proves itself alive before <see cref="IdleTimeout"/>.
    /// Written through the framing (a lines probe <c>PING</c> goes out as <c>PING\n</c>). Empty (default): no probe.
    /// </summary>
    public ReadOnlyMemory<byte> Probe { get; set; }

    /// <summary>Plain framings: inbound silence before the first <see cref="Probe"/>. Default: the server's heartbeat interval.</summary>
    public TimeSpan? ProbeInterval { get; set; }

    /// <summary>
    /// Plain framings: an inbound message equal to this is a keepalive, answered at once with <see cref="PongMessage"/>
    /// and not delivered to the handler (for lines, <c>PING</c>). Empty (default): every message is delivered.
    /// </summary>
    public ReadOnlyMemory<byte> PingMessage { get; set; }

    /// <summary>
    /// Plain framings: the answer to <see cref="PingMessage"/> (for lines, <c>PONG</c>). An inbound message equal to it is
    /// taken as the answer to a probe and not delivered either. Empty (default): none.
    /// </summary>
    public ReadOnlyMemory<byte> PongMessage { get; set; }

    /// <summary>A listener for <c>PING</c>/<c>PONG</c> lines: the usual setup for text devices.</summary>
    public ListenerOptions WithLinePingPong()
    {
        PingMessage = "PING"u8.ToArray();
        PongMessage = "PONG"u8.ToArray();
        return this;
    }

    /// <inheritdoc/>
    public override string ToString() => Framing is null ? EndPoint.ToString() : $"{FramingName}@{EndPoint}";

    internal void Validate(Heartbeat.HeartbeatOptions heartbeat)
    {
        if (Framing is null)
        {
            if (IdleTimeout is not null || ProbeInterval is not null || !Probe.IsEmpty || !PingMessage.IsEmpty || !PongMessage.IsEmpty)
            {
                throw new ArgumentException($"listener {this}: idle timeout, probe and ping/pong apply to plain framings only; the Tether protocol has its own heartbeat");
            }

            return;
        }

        if (IdleTimeout is { } idle && idle <= TimeSpan.Zero)
        {
            throw new ArgumentException($"listener {this}: the idle timeout must be positive");
        }

        if (ProbeInterval is { } probe && probe <= TimeSpan.Zero)
        {
            throw new ArgumentException($"listener {this}: the probe interval must be positive");
        }

        if (!Probe.IsEmpty && (ProbeInterval ?? heartbeat.Interval) >= (IdleTimeout ?? heartbeat.Timeout))
        {
            // Each value says where it came from: an unset one is the server's heartbeat setting, which the user may not
            // have connected with this listener.
            var interval = ProbeInterval is { } probeInterval ? Seconds(probeInterval) : $"{Seconds(heartbeat.Interval)}, from Heartbeat.Interval";
            var timeout = IdleTimeout is { } idleTimeout ? Seconds(idleTimeout) : $"{Seconds(heartbeat.Timeout)}, from Heartbeat.Timeout";
            throw new ArgumentException($"listener {this}: ProbeInterval ({interval}) must be shorter than IdleTimeout ({timeout}), or peers are dropped before they are probed");
        }

        if (!PingMessage.IsEmpty && PongMessage.IsEmpty)
        {
            throw new ArgumentException($"listener {this}: a ping message needs a pong message to answer it with");
        }

        if (Framing.MaxFrameLength <= 0)
        {
            throw new ArgumentException($"listener {this}: framing '{Framing.Name}' reports a maximum frame length of {Framing.MaxFrameLength}");
        }

        EnsureFramable(Probe, "probe");
        EnsureFramable(PongMessage, "pong message");
    }

    private static string Seconds(TimeSpan value) => $"{value.TotalSeconds:0.###} s";

    /// <summary>Refuses, before anything is bound, a keepalive message that the framing cannot write.</summary>
    private void EnsureFramable(ReadOnlyMemory<byte> message, string what)
    {
        if (message.IsEmpty)
        {
            return;
        }

        try
        {
            Framing!.Write(message.Span, new ArrayBufferWriter<byte>(message.Length + 16));
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"listener {this}: the {what} cannot be written as a {FramingName} frame: {ex.Message}", ex);
        }
    }
}
