using System.Net;
using Tether.Heartbeat;
using Tether.Protocol;
using Tether.Sessions;
using Tether.Transport;

namespace Tether.Server;

/// <summary>Settings of a <see cref="TetherServer"/>. Every limit has a default suited to production.</summary>
public sealed class TetherServerOptions
{
    /// <summary>
    /// Where to listen for the Tether protocol. When this and <see cref="Listeners"/> are both empty the server listens
    /// on 127.0.0.1:7447.
    /// </summary>
    public IList<IPEndPoint> EndPoints { get; } = [];

    /// <summary>
    /// More listeners, each with its own framing: the Tether protocol, or a plain framing (lines, length-prefixed, raw,
    /// or your own <see cref="Framing.IFraming"/>) for peers that cannot speak it. Bound after <see cref="EndPoints"/>.
    /// </summary>
    public IList<ListenerOptions> Listeners { get; } = [];

    /// <summary>Heartbeat policy (interval, timeout, bounds a client may ask for, wheel tick).</summary>
    public HeartbeatOptions Heartbeat { get; set; } = new();

    /// <summary>Reliable sessions: whether they are granted, their buffers, acks, time to live and slow-consumer policy.</summary>
    public ServerSessionOptions Sessions { get; set; } = new();

    /// <summary>TCP settings applied to every accepted socket.</summary>
    public TcpOptions Tcp { get; set; } = new();

    /// <summary>How connections wait for and move bytes. Default <see cref="TransportKind.Auto"/>: epoll where available.</summary>
    public TransportKind Transport { get; set; } = TransportKind.Auto;

    /// <summary>For tests: a readiness engine of their own instead of the process's.</summary>
    internal Transport.Readiness.ReadinessEngine? Engine { get; set; }

    /// <summary>
    /// Decides from each HELLO whether the client may connect and under which client id (for example a
    /// <see cref="Authentication.SignedTokenAuthenticator"/>). Default null: every client is let in under the id it claims.
    /// </summary>
    public Authentication.IConnectionAuthenticator? Authenticator { get; set; }

    /// <summary>A peer must complete HELLO within this time after connecting, or it is closed. Default 10 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest frame body the server accepts; larger frames close the connection with FRAME_TOO_LARGE. Default 1 MiB.</summary>
    public int MaxFrameSize { get; set; } = ProtocolConstants.DefaultMaxFrameSize;

    /// <summary>Connections beyond this are refused with TOO_MANY_CONNECTIONS. Default 100,000.</summary>
    public int MaxConnections { get; set; } = 100_000;

    /// <summary>
    /// Connections one source address may hold; beyond this a new one from that address is refused with
    /// TOO_MANY_CONNECTIONS (the others are unaffected). Default: no limit, because mobile carriers and corporate NATs
    /// put thousands of legitimate clients behind one address; set it for devices that each have their own.
    /// </summary>
    public int MaxConnectionsPerAddress { get; set; } = int.MaxValue;

    /// <summary>
    /// Bytes a connection without a session may have queued for sending. A broadcast to a connection over the limit
    /// closes it with SLOW_CONSUMER (a broadcast never waits for one client); a direct send waits for room. Default
    /// 4 MiB. Connections with a session are bounded by <see cref="SessionOptions.MaxUnacknowledgedBytes"/> instead.
    /// </summary>
    public int MaxPendingOutboundBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Rate limits: frames and bytes per connection, new connections per source address.</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>
    /// How long a graceful stop waits, from the first GOAWAY, for clients to leave before closing the rest. Default 10 s.
    /// </summary>
    public TimeSpan ShutdownDrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The window over which a graceful stop spreads its GOAWAYs, in even batches, so that clients do not all reconnect
    /// to the other nodes in the same second; at most <see cref="ShutdownDrainTimeout"/>. Zero (the default) sends
    /// every GOAWAY at once.
    /// </summary>
    public TimeSpan GoAwaySpread { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How long a graceful stop keeps serving, and accepting, after <see cref="TetherServer.IsDraining"/> turned true and
    /// before the first GOAWAY: time for load balancers to see the node is no longer ready. Default zero.
    /// </summary>
    public TimeSpan LameDuckDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Smallest retry-after hint sent with GOAWAY. Default 500 ms.</summary>
    public TimeSpan GoAwayRetryAfter { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Random spread added per client to <see cref="GoAwayRetryAfter"/> so clients do not return at once. Default 5 s.</summary>
    public TimeSpan GoAwayRetryJitter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>After sending CLOSE, how long to wait for the peer's FIN before dropping the socket. Default 2 s.</summary>
    public TimeSpan CloseLinger { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Listen backlog per endpoint: connections the kernel queues while the server is busy accepting. Default 4096.</summary>
    public int ListenBacklog { get; set; } = 4096;

    /// <summary>
    /// Give memory back to the operating system after a peak: when the connections and sessions held fall to a quarter
    /// of the most held since the last time (at least 4,096), the server runs one aggressive, compacting full
    /// collection (a pause that grows with what is still live; docs/benchmarks.md has measured pauses), logs it and
    /// counts it in <c>tether.memory.returns</c>. Without it the runtime keeps most of a peak's memory committed while
    /// the server is quiet. A forced collection is the host's policy, not the library's: off by default; a process that
    /// is only a Tether server (as <c>tether serve</c>) turns it on. Default false.
    /// </summary>
    public bool ReturnMemoryAfterPeak { get; set; }

    /// <summary>
    /// Where the server's meter (<see cref="Diagnostics.TetherMeterNames.Server"/>, with the cluster and session-store
    /// instruments) comes from: a host's factory, so that its metrics pipeline sees them and disposes them. Default
    /// null: the server creates its own meter.
    /// </summary>
    public System.Diagnostics.Metrics.IMeterFactory? MeterFactory { get; set; }

    /// <summary>The node name announced in WELCOME. Default: the machine name.</summary>
    public string ServerId { get; set; } = Environment.MachineName;

    /// <summary>Adds a listener on <paramref name="endPoint"/> with <paramref name="framing"/> (null: the Tether protocol) and returns it to configure.</summary>
    public ListenerOptions Listen(IPEndPoint endPoint, Framing.IFraming? framing = null)
    {
        var listener = new ListenerOptions(endPoint, framing);
        Listeners.Add(listener);
        return listener;
    }

    /// <summary>
    /// The tick the server's timing wheel runs at: <see cref="HeartbeatOptions.TickInterval"/>, made finer where a
    /// deadline needs it (see there).
    /// </summary>
    internal TimeSpan WheelTick() => WheelTickPolicy.For(Heartbeat, Listeners);

    /// <summary>Every listener in binding order: <see cref="EndPoints"/>, then <see cref="Listeners"/>, or the default endpoint.</summary>
    internal IReadOnlyList<ListenerOptions> AllListeners()
    {
        List<ListenerOptions> all = [.. EndPoints.Select(endPoint => new ListenerOptions(endPoint)), .. Listeners];
        return all.Count > 0 ? all : [new ListenerOptions(new IPEndPoint(IPAddress.Loopback, 7447))];
    }

    /// <summary>
    /// Scale-out over Redis (several nodes, one address space of clients); null, the default, for a single node that
    /// needs no Redis.
    /// </summary>
    public Cluster.ScaleOutOptions? ScaleOut { get; set; }

    /// <summary>
    /// Checks these settings and every listener's against each other, as the server does when it is created: throws an
    /// <see cref="ArgumentException"/> whose message names the setting that is wrong. Call it to report a bad
    /// configuration before anything else starts.
    /// </summary>
    /// <exception cref="ArgumentException">A setting is out of range or contradicts another.</exception>
    public void Validate()
    {
        foreach (var listener in Listeners)
        {
            listener.Validate(Heartbeat);
        }

        Heartbeat.Validate();
        Sessions.Validate();
        ScaleOut?.Validate();
        RateLimits.Validate();
        DrainSettings.Validate(this);
        if (!Enum.IsDefined(Transport))
        {
            throw new ArgumentException($"unknown transport {Transport}");
        }

        if (MaxFrameSize < ProtocolConstants.MinMaxFrameSize)
        {
            throw new ArgumentException($"the maximum frame size must be at least {ProtocolConstants.MinMaxFrameSize} bytes");
        }

        if (HandshakeTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("the handshake timeout must be positive");
        }

        if (MaxConnections <= 0 || MaxConnectionsPerAddress <= 0 || MaxPendingOutboundBytes <= 0 || ListenBacklog <= 0)
        {
            throw new ArgumentException("connection, outbound and backlog limits must be positive");
        }
    }
}
