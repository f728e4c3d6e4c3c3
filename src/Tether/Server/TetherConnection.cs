using System.Net;
using Tether.Heartbeat;
using Tether.Link;
using Tether.Protocol;
using Tether.Transport;
using Tether.Transport.Readiness;

namespace Tether.Server;

/// <summary>
/// One client connection on a <see cref="TetherServer"/>: its identity, per-connection state, and the way to push to it
/// or close it. It runs the server side of the protocol: the handshake, liveness through the server's timing wheel,
/// and dispatch of messages to the <see cref="TetherServerHandler"/>.
/// </summary>
public sealed partial class TetherConnection : IWheelEntry, ILinkHandler, ILinkWorker, IReadinessReader, ISendFailureObserver
{
    private readonly TetherServer _server;
    private readonly ConnectionLink _link;
    private readonly long _connectedAt;
    private ConnectionExtras? _extras;
    private WheelLinks _wheelLinks = new();
    private volatile int _state;
    private long _deadline;
    private long _rttTicks = -1;
    private long _nextLivenessDue = long.MaxValue;
    private long _wheelDue = long.MaxValue;
    private volatile bool _receiveDone;
    private bool _finishOnWorker;
    private InboundBudget _inbound;

    // Looked up rather than kept: every field of a connection is paid for once per idle connection.
    private TimeProvider Time => _server.TimeProvider;

    // A token bucket refills in about a second at the configured rate: asking for less would only bring the peer back
    // to be refused again.
    private const uint RateLimitedRetryAfterMs = 1000;

    private PeerLink? Peer => _link as PeerLink;

    private ConnectionExtras Extras => LazyInitializer.EnsureInitialized(ref _extras);

    /// <param name="server">The server.</param>
    /// <param name="transport">The accepted connection's transport (with TLS, not yet authenticated).</param>
    /// <param name="id">The connection's id.</param>
    /// <param name="listener">The listener that accepted it.</param>
    internal TetherConnection(TetherServer server, SocketTransport transport, long id, ServerListener listener)
    {
        _server = server;
        Id = id;
        ListenerIndex = listener.Index;
        if (listener.Plain is { } plain)
        {
            _link = new PlainLink(transport, server.TimeProvider, server.Metrics, plain);
        }
        else
        {
            _link = new PeerLink(transport, server.TimeProvider, server.Metrics);
        }

        transport.SendFailed = this;
        _connectedAt = Time.GetTimestamp();
        _deadline = _connectedAt + ToTicks(server.Options.HandshakeTimeout);
        _inbound = new InboundBudget(server.Options.RateLimits, _connectedAt);
    }

    /// <summary>Server-unique id, also sent to the client in WELCOME.</summary>
    public long Id { get; }

    /// <summary>
    /// The server this connection belongs to. From a <see cref="TetherServerHandler"/> callback it reaches the other
    /// clients: <see cref="TetherServer.Broadcast"/>, <see cref="TetherServer.SendToClientAsync"/> and
    /// <see cref="TetherServer.Connections"/>.
    /// </summary>
    // Read through the field the connection already has: every field of a connection is paid for 19,000 times over.
    public TetherServer Server => _server;

    /// <summary>
    /// The client id the peer presented in HELLO, or the one the application gave a plain connection with
    /// <see cref="AssignClientId"/>; null for an anonymous client.
    /// </summary>
    public string? ClientId { get; private set; }

    /// <summary>The listener this connection arrived on, and so how its peer talks (<see cref="ListenerOptions.FramingName"/>).</summary>
    public ListenerOptions Listener => _server.ListenerAt(ListenerIndex).Options;

    /// <summary>True when the peer speaks a plain framing rather than the Tether protocol.</summary>
    public bool IsPlain => Peer is null;

    /// <summary>Where the peer connects from.</summary>
    public EndPoint? RemoteEndPoint => _link.Transport.RemoteEndPoint;

    /// <summary>The listener endpoint this connection arrived on.</summary>
    public EndPoint? LocalEndPoint => _link.Transport.LocalEndPoint;

    /// <summary>Where the connection is in its lifecycle.</summary>
    public ConnectionState State => (ConnectionState)_state;

    /// <summary>
    /// The heartbeat agreed in the handshake (default until then); for a plain connection, the probe interval (zero
    /// without a probe) and the idle timeout.
    /// </summary>
    public HeartbeatSettings Heartbeat => _link.Heartbeat;

    /// <summary>The latest round-trip time measured by a server PING, if any.</summary>
    public TimeSpan? RoundTripTime => Volatile.Read(ref _rttTicks) is var ticks and >= 0 ? TimeSpan.FromTicks(ticks) : null;

    /// <summary>How long ago the connection was accepted.</summary>
    public TimeSpan Age => Time.GetElapsedTime(_connectedAt);

    /// <summary>Application state for this connection (created on first use).</summary>
    public IDictionary<string, object?> Items => LazyInitializer.EnsureInitialized(ref Extras.Items);

    /// <summary>Bytes queued for this connection and not yet written to the socket.</summary>
    public int PendingOutboundBytes => _link.Transport.PendingBytes;

    /// <summary>The reliable session this connection carries, or null when the client did not ask for one (or sessions are off).</summary>
    public TetherSession? Session { get; private set; }

    /// <summary>True when the handshake resumed an existing session (as opposed to starting a new one).</summary>
    public bool SessionResumed { get; private set; }

    /// <summary>Why the connection ended, once it has (or is ending).</summary>
    public DisconnectInfo? DisconnectInfo => _link.CloseInfo;

    /// <summary>Cancelled when the connection closes (created on first use).</summary>
    public CancellationToken Closed
    {
        get
        {
            var source = LazyInitializer.EnsureInitialized(ref Extras.ClosedSource);
            if (State == ConnectionState.Closed)
            {
                source.Cancel();
            }

            return source.Token;
        }
    }

    internal SocketTransport Transport => _link.Transport;

    /// <summary>Which of the server's listeners accepted this connection.</summary>
    internal int ListenerIndex { get; }

    internal long LastReceivedTimestamp => _link.LastReceived;

    /// <summary>
    /// Queues <paramref name="message"/> for the peer. With a <see cref="Session"/>, this is
    /// <see cref="TetherSession.SendAsync"/>: the message survives this connection and reaches the client on resume.
    /// Without one, it completes when the message is queued (not when the peer has it), waits while the connection's
    /// outbound queue is over its limit, and throws <see cref="TetherException"/> when the connection is closed. A
    /// message larger than the peer accepts throws <see cref="ArgumentException"/>.
    /// </summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        if (Session is { } session)
        {
            return session.SendAsync(message, cancellationToken);
        }

        // Queued at once is the common case: it completes without an async state machine.
        SendResult result;
        try
        {
            result = TrySend(message.Span);
        }
#pragma warning disable CA1031 // Not handled: handed to the caller in the task, as an async method would.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return ValueTask.FromException(ex);
        }

        return result == SendResult.Queued ? ValueTask.CompletedTask : SendWhenRoomAsync(message, result, cancellationToken);
    }

    private async ValueTask SendWhenRoomAsync(ReadOnlyMemory<byte> message, SendResult result, CancellationToken cancellationToken)
    {
        while (true)
        {
            switch (result)
            {
                case SendResult.Queued:
                    return;
                case SendResult.Closed:
                    throw new TetherException($"connection {Id} is closed");
                default:
                    await _link.Transport.FlushAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
                    break;
            }

            result = TrySend(message.Span);
        }
    }

    /// <summary>
    /// Sends CLOSE with <paramref name="code"/> (on a plain connection, the framing's farewell, if it has one) and closes
    /// the connection gracefully.
    /// </summary>
    public Task CloseAsync(CloseCode code = CloseCode.Normal, string? reason = null)
    {
        var info = new DisconnectInfo(DisconnectReason.ClosedLocally, code, reason ?? "closed by the server");
        BeginClose(info, code, reason ?? string.Empty, 0, immediate: false);
        return _link.Transport.FlushAsync();
    }

    /// <summary>
    /// Gives a plain connection a client id (the peer has no HELLO to present one), so that
    /// <see cref="TetherServer.SendToClientAsync"/> reaches it. As with HELLO, a connection that held the id before is
    /// closed with REPLACED. Call it once, typically from <see cref="TetherServerHandler.OnMessageAsync"/> when the
    /// device has said who it is.
    /// </summary>
    public void AssignClientId(string clientId)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        if (!IsPlain)
        {
            throw new InvalidOperationException("a Tether protocol connection's client id comes from its HELLO");
        }

        if (ClientId is not null)
        {
            throw new InvalidOperationException($"connection {Id} already has client id '{ClientId}'");
        }

        if (State != ConnectionState.Open)
        {
            throw new TetherException($"connection {Id} is closed");
        }

        ClientId = clientId;
        _server.BindClientId(this);
    }

    /// <summary>Closes the socket at once, without a CLOSE frame.</summary>
    public void Abort()
    {
        _link.TrySetCloseInfo(new DisconnectInfo(DisconnectReason.ClosedLocally, null, "aborted by the server"));
        _link.Transport.Abort();
    }

    /// <inheritdoc/>
    public override string ToString() => ClientId is null ? $"#{Id} {RemoteEndPoint}" : $"#{Id} {ClientId} {RemoteEndPoint}";

    ref WheelLinks IWheelEntry.WheelLinks => ref _wheelLinks;

    internal SendResult TrySend(ReadOnlySpan<byte> message) =>
        _state == (int)ConnectionState.Open ? _link.TrySendData(message, _server.Options.MaxPendingOutboundBytes) : SendResult.Closed;

    /// <summary>Copies an already encoded frame (a broadcast) into the outbound queue, or reports why not.</summary>
    internal SendResult TrySendEncoded(ReadOnlySpan<byte> frame) =>
        _state == (int)ConnectionState.Open ? _link.TrySendEncoded(frame, _server.Options.MaxPendingOutboundBytes) : SendResult.Closed;

    internal void SendGoAway(GoAwayFrame frame)
    {
        if (_state == (int)ConnectionState.Open)
        {
            Peer?.SendControl(frame, static (f, writer) => f.Write(writer));
        }
    }

    /// <summary>
    /// Starts closing: records why (first reason wins) and sends CLOSE; the timing wheel drops the socket if the peer
    /// has not closed its side within the linger time. Safe from any thread, any number of times.
    /// </summary>
    internal void BeginClose(DisconnectInfo info, CloseCode code, string reason, uint retryAfterMs, bool immediate)
    {
        if (!_link.BeginClose(info, code, reason, retryAfterMs, immediate))
        {
            return;
        }

        _state = (int)ConnectionState.Closing;
        _deadline = Time.GetTimestamp() + ToTicks(_server.Options.CloseLinger);
        _server.Wheel.Schedule(this, _deadline);
    }

    /// <summary>The protocol link of a Tether protocol connection (sessions only exist there).</summary>
    internal PeerLink Link => Peer ?? throw new InvalidOperationException("a plain connection has no protocol link");

    private long ToTicks(TimeSpan time) => (long)(time.TotalSeconds * Time.TimestampFrequency);
}
