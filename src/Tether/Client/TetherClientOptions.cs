using System.Net;
using Tether.Protocol;
using Tether.Sessions;
using Tether.Transport;

namespace Tether.Client;

/// <summary>Settings of a <see cref="TetherClient"/>.</summary>
public sealed class TetherClientOptions
{
    /// <summary>Servers to connect to (<see cref="IPEndPoint"/> or <see cref="DnsEndPoint"/>); at least one.</summary>
    public IList<EndPoint> EndPoints { get; } = [];

    /// <summary>How the next endpoint is chosen when there are several. Default <see cref="EndpointSelection.Failover"/>.</summary>
    public EndpointSelection EndpointSelection { get; set; } = EndpointSelection.Failover;

    /// <summary>The client id presented in HELLO; null for anonymous.</summary>
    public string? ClientId { get; set; }

    /// <summary>Opaque credentials sent in HELLO; empty for none.</summary>
    public ReadOnlyMemory<byte> Token { get; set; }

    /// <summary>Proposed heartbeat interval; null lets the server decide (the default).</summary>
    public TimeSpan? HeartbeatInterval { get; set; }

    /// <summary>Proposed heartbeat timeout; null lets the server decide (the default).</summary>
    public TimeSpan? HeartbeatTimeout { get; set; }

    /// <summary>Reconnect policy.</summary>
    public ReconnectOptions Reconnect { get; set; } = new();

    /// <summary>
    /// Time allowed for one attempt: TCP connect, TLS, HELLO and WELCOME under one deadline (protocol section 14.1). Default
    /// 10 s, the protocol's recommended value: long enough for a slow path, short enough that an attempt lost in a black
    /// hole does not keep the client away long after the path recovers.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The local address to connect from, or null (default) to let the system choose. The port is still chosen per
    /// connection (Linux: <c>IP_BIND_ADDRESS_NO_PORT</c>), so many clients on one machine can spread over several local
    /// addresses (load generators, multi-homed hosts).
    /// </summary>
    public System.Net.IPAddress? LocalAddress { get; set; }

    /// <summary>
    /// Without a session: how long <see cref="TetherClient.SendAsync"/> waits for a connection while the client is
    /// reconnecting, before it throws. Nothing is queued silently: a send either goes out on a connection or fails.
    /// With a session, messages are accepted into the session while disconnected (up to
    /// <see cref="SessionOptions.MaxUnacknowledgedBytes"/>) and sent on resume; this applies only before the first
    /// session exists. Default 30 s.
    /// </summary>
    public TimeSpan DisconnectedSendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Bytes the client may have queued for sending before <see cref="TetherClient.SendAsync"/> waits. Default 4 MiB.</summary>
    public int MaxPendingOutboundBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest frame body the client accepts. Default 1 MiB.</summary>
    public int MaxFrameSize { get; set; } = ProtocolConstants.DefaultMaxFrameSize;

    /// <summary>
    /// Received messages buffered for <see cref="TetherClient.ReadAllAsync"/>; when full, the client stops reading the
    /// socket (back-pressure to the server). Default 1024.
    /// </summary>
    public int ReceiveQueueCapacity { get; set; } = 1024;

    /// <summary>After sending CLOSE, how long to wait for the server's FIN. Default 2 s.</summary>
    public TimeSpan CloseLinger { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Reliable sessions (on by default): every message is numbered and kept until the server acknowledges it, and a
    /// reconnect resumes the session, so nothing is lost, duplicated or reordered across disconnects.
    /// </summary>
    public SessionOptions Sessions { get; set; } = new();

    /// <summary>
    /// Where the client's meter (<see cref="Diagnostics.TetherMeterNames.Client"/>) comes from: a host's factory, so
    /// that its metrics pipeline sees it and disposes it. Default null: the client creates its own meter.
    /// </summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; set; }

    /// <summary>TCP settings.</summary>
    public TcpOptions Tcp { get; set; } = new();

    /// <summary>How the connection waits for and moves bytes. Default <see cref="TransportKind.Auto"/>: epoll where available.</summary>
    public TransportKind Transport { get; set; } = TransportKind.Auto;

    /// <summary>
    /// TLS to the server, or null for plain TCP. Without a <see cref="System.Net.Security.SslClientAuthenticationOptions.TargetHost"/>, the
    /// name checked against the server's certificate is the endpoint's host; without a validation callback, the system's
    /// trusted roots decide (<see cref="Security.CertificateTrust"/> has a CA-file and an insecure one). A certificate
    /// refused either way ends the attempts with AUTH_FAILED rather than retrying.
    /// </summary>
    public System.Net.Security.SslClientAuthenticationOptions? Tls { get; set; }

    /// <summary>
    /// Checks these settings, as the client does when it is created: throws an <see cref="ArgumentException"/> whose
    /// message names the setting that is wrong. Call it to report a bad configuration before anything else starts.
    /// </summary>
    /// <exception cref="ArgumentException">A setting is out of range or contradicts another.</exception>
    public void Validate()
    {
        if (EndPoints.Count == 0)
        {
            throw new ArgumentException("a client needs at least one endpoint");
        }

        Reconnect.Validate();
        Sessions.Validate();
        if (!Enum.IsDefined(Transport))
        {
            throw new ArgumentException($"unknown transport {Transport}");
        }

        if (MaxFrameSize < ProtocolConstants.MinMaxFrameSize)
        {
            throw new ArgumentException($"the maximum frame size must be at least {ProtocolConstants.MinMaxFrameSize} bytes");
        }

        if (ConnectTimeout <= TimeSpan.Zero || ReceiveQueueCapacity <= 0 || MaxPendingOutboundBytes <= 0)
        {
            throw new ArgumentException("connect timeout, receive queue capacity and outbound limit must be positive");
        }

        if (HeartbeatInterval is { } interval && interval <= TimeSpan.Zero)
        {
            throw new ArgumentException("the heartbeat interval must be positive");
        }

        if (HeartbeatTimeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("the heartbeat timeout must be positive");
        }
    }
}
