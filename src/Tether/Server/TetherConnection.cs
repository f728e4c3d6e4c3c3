using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Tether.Authentication;
using Tether.Diagnostics;
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
public sealed class TetherConnection : IWheelEntry, ILinkHandler, IThreadPoolWorkItem, IReadinessReader, ISendFailureObserver
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
    /// <param name="socket">The socket the transport reads and writes: the accepted one, or with TLS the tunnel's local end.</param>
    /// <param name="network">With TLS, the accepted socket (for its endpoints); otherwise null.</param>
    /// <param name="id">The connection's id.</param>
    /// <param name="listener">The listener that accepted it.</param>
    internal TetherConnection(TetherServer server, Socket socket, Socket? network, long id, ServerListener listener)
    {
        _server = server;
        Id = id;
        ListenerIndex = listener.Index;
        var transport = new SocketTransport(socket, ProtocolConstants.HeaderSize + ProtocolConstants.HandshakeMaxBodySize, server.Metrics, network);
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

    /// <summary>
    /// Hands a message to the application. A handler that throws is logged and counted (<c>tether.handler.errors</c>):
    /// the message was delivered, and one bad message must not cost the client its connection or its session.
    /// </summary>
    ValueTask ILinkHandler.OnDataAsync(ReadOnlySequence<byte> payload)
    {
        try
        {
            var handled = _server.Handler.OnMessageAsync(this, payload);
            return handled.IsCompletedSuccessfully
                ? ValueTask.CompletedTask
                : HandlerGuard.ObserveAsync(handled, this, static (connection, ex) => connection.OnMessageHandlerFailed(ex));
        }
#pragma warning disable CA1031 // The application's handler may throw anything; the connection goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            OnMessageHandlerFailed(ex);
            return ValueTask.CompletedTask;
        }
    }

    private void OnMessageHandlerFailed(Exception exception)
    {
        _server.Metrics.HandlerErrors.Add(1, new KeyValuePair<string, object?>("callback", nameof(TetherServerHandler.OnMessageAsync)));
        _server.Log.HandlerFailed(this, exception);
    }

    DisconnectInfo ILinkHandler.OnGoAway(GoAwayFrame goAway) =>
        throw new TetherProtocolException(CloseCode.ProtocolError, "a client must not send GOAWAY");

    void ILinkHandler.OnAckPending(long deadline)
    {
        // A wheel visit already due by then will see this ack too: skip the (shared, locked) reschedule, which would
        // otherwise happen for nearly every message on a request/response link.
        if (_state == (int)ConnectionState.Open && deadline < Volatile.Read(ref _wheelDue))
        {
            Volatile.Write(ref _wheelDue, deadline);
            _server.Wheel.Schedule(this, Math.Min(deadline, Volatile.Read(ref _nextLivenessDue)));
        }
    }

    void ILinkHandler.OnRoundTrip(TimeSpan roundTripTime) => Volatile.Write(ref _rttTicks, roundTripTime.Ticks);

    void ILinkHandler.OnReceived(int frames, int bytes, long now)
    {
        var limits = _server.Options.RateLimits;
        if (_inbound.Charge(limits, now, Time.TimestampFrequency, frames, bytes) is { } limit)
        {
            var rate = limit == "message" ? limits.MessagesPerSecond : limits.BytesPerSecond;
            _server.Metrics.LimitRejections.Add(1, new KeyValuePair<string, object?>("limit", limit == "message" ? "inbound-message-rate" : "inbound-byte-rate"));
            _server.Log.RateLimited(this, limit, rate);
            throw new TetherProtocolException(CloseCode.RateLimited, $"over the inbound {limit} rate limit of {rate} per second");
        }
    }

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

    /// <summary>
    /// Runs the handshake and <see cref="TetherServerHandler.OnConnectedAsync"/>, then hands the connection to readiness
    /// callbacks: from then on nothing of it waits anywhere (no task, no state machine) until bytes arrive.
    /// </summary>
    internal async Task RunAsync(Socket socket)
    {
        var opened = false;
        try
        {
            // The accepted Socket object is not kept (the transport works on its handle): tune it while it is here.
            SocketTuning.Apply(socket, _server.Options.Tcp);
            _server.Wheel.Schedule(this, _deadline);
            if (Peer is null ? Open() : await HandshakeAsync(Peer).ConfigureAwait(false))
            {
                opened = true;
                await _server.Handler.OnConnectedAsync(this).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            OnReceiveFailed(ex);
            await FinishAsync(opened).ConfigureAwait(false);
            return;
        }

        if (opened)
        {
            ReadWhileAvailable(onEngineThread: false);
        }
        else
        {
            await FinishAsync(opened: false).ConfigureAwait(false);
        }
    }

    void IReadinessReader.OnReadable() => ReadWhileAvailable(onEngineThread: true);

    void IThreadPoolWorkItem.Execute()
    {
        if (_finishOnWorker)
        {
            _ = FinishAsync(opened: true);
        }
        else
        {
            ReadWhileAvailable(onEngineThread: false);
        }
    }

    /// <summary>
    /// Handles what has arrived; then either arms the readiness callback (idle), or ends the connection. On the readiness
    /// engine's thread only control frames are handled: the first message for the application, or the end of the
    /// connection (whose handlers are application code too), moves the work to the thread pool.
    /// </summary>
    private void ReadWhileAvailable(bool onEngineThread)
    {
        try
        {
            while (true)
            {
                switch (_link.ReadAvailable(this, controlOnly: onEngineThread, out var pending, out _))
                {
                    case ReadStep.NeedData:
                        if (_link.Transport.ArmReadable(this))
                        {
                            return;
                        }

                        continue;
                    case ReadStep.NeedsApplication:
                        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                        return;
                    case ReadStep.HandlerPending:
                        _ = ResumeAfterHandlerAsync(pending);
                        return;
                    default:
                        EndReceiving(onEngineThread);
                        return;
                }
            }
        }
        catch (Exception ex)
        {
            OnReceiveFailed(ex);
            EndReceiving(onEngineThread);
        }
    }

    private void EndReceiving(bool onEngineThread)
    {
        if (onEngineThread)
        {
            _finishOnWorker = true;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
        else
        {
            _ = FinishAsync(opened: true);
        }
    }

    private async Task ResumeAfterHandlerAsync(ValueTask pending)
    {
        try
        {
            await _link.ResumeAfterHandlerAsync(pending).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            OnReceiveFailed(ex);
            await FinishAsync(opened: true).ConfigureAwait(false);
            return;
        }

        ReadWhileAvailable(onEngineThread: false);
    }

    /// <summary>Closes with the code that fits what went wrong while receiving (or in the handshake, or a handler).</summary>
    private void OnReceiveFailed(Exception exception)
    {
        switch (exception)
        {
            case TetherProtocolException { Code: CloseCode.RateLimited } ex:
                BeginClose(new DisconnectInfo(DisconnectReason.RateLimited, ex.Code, ex.Message), ex.Code, ex.Message, RateLimitedRetryAfterMs, immediate: false);
                break;
            case TetherProtocolException ex:
                if (ex.Code == CloseCode.FrameTooLarge)
                {
                    _server.Metrics.LimitRejections.Add(1, new KeyValuePair<string, object?>("limit", "max-frame-size"));
                }

                BeginClose(new DisconnectInfo(DisconnectReason.ProtocolError, ex.Code, ex.Message), ex.Code, ex.Message, 0, immediate: false);
                break;
            case var ex when PeerLink.IsConnectionFailure(ex):
                _link.TrySetCloseInfo(new DisconnectInfo(DisconnectReason.ConnectionLost, null, ex.Message));
                break;
            default:
                _server.Log.HandlerFailed(this, exception);
                BeginClose(new DisconnectInfo(DisconnectReason.ApplicationError, CloseCode.InternalError, exception.Message, exception), CloseCode.InternalError, "internal error", 0, immediate: false);
                break;
        }
    }

    long IWheelEntry.OnWheelDue(long now)
    {
        switch ((ConnectionState)_state)
        {
            case ConnectionState.Handshaking when now >= _deadline:
                _server.Metrics.HandshakeFailures.Add(1, new KeyValuePair<string, object?>("reason", "handshake-timeout"));
                _server.Metrics.LimitRejections.Add(1, new KeyValuePair<string, object?>("limit", "handshake-timeout"));
                _server.Log.HandshakeTimeout(this, _server.Options.HandshakeTimeout.TotalMilliseconds);
                BeginClose(new DisconnectInfo(DisconnectReason.HandshakeTimeout, CloseCode.HandshakeTimeout, "no HELLO within the handshake timeout"), CloseCode.HandshakeTimeout, "handshake timeout", 0, immediate: false);
                return _deadline;
            case ConnectionState.Handshaking:
                return _deadline;
            case ConnectionState.Open:
                var next = CheckLiveness(now);
                Volatile.Write(ref _nextLivenessDue, next);
                if (Session is { } session)
                {
                    next = Math.Min(next, Peer!.FlushAck(force: false, now));
                    session.Core.TrimIfIdle();
                }

                Volatile.Write(ref _wheelDue, next);
                return next;
            case ConnectionState.Closing when now >= _deadline:
                _link.Transport.Abort();
                return long.MaxValue;
            case ConnectionState.Closing:
                return _deadline;
            default:
                return long.MaxValue;
        }
    }

    private long CheckLiveness(long now)
    {
        if (_link.CheckLiveness(now, out var next, out var silence) != LivenessVerdict.Dead)
        {
            return next;
        }

        _server.Log.HeartbeatTimeout(this, silence.TotalMilliseconds);
        BeginClose(new DisconnectInfo(DisconnectReason.HeartbeatTimeout, CloseCode.HeartbeatTimeout, $"nothing received for {silence.TotalSeconds:0.###} s"), CloseCode.HeartbeatTimeout, "heartbeat timeout", 0, immediate: true);
        return _deadline;
    }

    /// <summary>A plain connection has no handshake: it is open as soon as it is accepted.</summary>
    private bool Open()
    {
        _state = (int)ConnectionState.Open;
        _server.OnHandshakeCompleted(this);
        _link.CheckLiveness(Time.GetTimestamp(), out var next, out _);
        Volatile.Write(ref _nextLivenessDue, next);
        Volatile.Write(ref _wheelDue, next);
        _server.Wheel.Schedule(this, next);
        return _state == (int)ConnectionState.Open;
    }

    private async Task<bool> HandshakeAsync(PeerLink link)
    {
        var transport = link.Transport;
        while (true)
        {
            var data = await transport.ReceiveAsync().ConfigureAwait(false);
            if (data.IsEmpty)
            {
                _link.TrySetCloseInfo(new DisconnectInfo(DisconnectReason.ConnectionLost, null, "closed before the handshake"));
                return false;
            }

            var buffer = new ReadOnlySequence<byte>(data);

            // The type is judged from the header (protocol 4.6): a peer that sends six bytes of something else and then
            // waits is told PROTOCOL_ERROR at once, not HANDSHAKE_TIMEOUT at the deadline.
            if (FrameHeader.TryRead(buffer, ProtocolConstants.HandshakeMaxBodySize, out var header) && header.Type != FrameType.Hello)
            {
                throw new TetherProtocolException(CloseCode.ProtocolError, $"expected HELLO, got {header.Type}");
            }

            if (!TetherFrame.TryRead(ref buffer, ProtocolConstants.HandshakeMaxBodySize, out var frame))
            {
                transport.Consume(0);
                continue;
            }

            var hello = HelloFrame.Parse(frame);
            transport.Consume(frame.EncodedLength);
            return await AcceptAsync(link, hello).ConfigureAwait(false);
        }
    }

    private async Task<bool> AcceptAsync(PeerLink link, HelloFrame hello)
    {
        if (hello.MinVersion > ProtocolConstants.Version || hello.MaxVersion < ProtocolConstants.Version)
        {
            var reason = $"server supports versions {ProtocolConstants.Version}-{ProtocolConstants.Version}";
            _server.Metrics.HandshakeFailures.Add(1, new KeyValuePair<string, object?>("reason", "unsupported-version"));
            BeginClose(new DisconnectInfo(DisconnectReason.HandshakeRejected, CloseCode.UnsupportedVersion, reason), CloseCode.UnsupportedVersion, reason, 0, immediate: false);
            return false;
        }

        if (_server.IsStopping)
        {
            // GOAWAY went out before this peer finished its handshake: tell it the same, with the same kind of hint.
            BeginClose(new DisconnectInfo(DisconnectReason.GoingAway, CloseCode.GoingAway, "server shutting down"), CloseCode.GoingAway, "server shutting down", _server.NextRetryAfterMs(), immediate: false);
            return false;
        }

        var options = _server.Options;
        var claimedId = hello.ClientId.Length == 0 ? null : hello.ClientId;
        if (options.Authenticator is { } authenticator)
        {
            var verdict = await AuthenticateAsync(authenticator, claimedId, hello.Token).ConfigureAwait(false);
            if (!verdict.IsAccepted)
            {
                var failure = verdict.Code == CloseCode.AuthExpired ? "auth-expired" : "auth-failed";
                _server.Metrics.HandshakeFailures.Add(1, new KeyValuePair<string, object?>("reason", failure));
                _server.Log.AuthenticationFailed(this, verdict.Code, verdict.Reason);
                BeginClose(new DisconnectInfo(DisconnectReason.HandshakeRejected, verdict.Code, verdict.Reason), verdict.Code, verdict.Reason, 0, immediate: false);
                return false;
            }

            // The id comes from the credentials, never from what the peer merely claims.
            claimedId = verdict.ClientId;
        }

        var heartbeat = HeartbeatNegotiation.Decide(options.Heartbeat, hello.HeartbeatIntervalMs, hello.HeartbeatTimeoutMs);
        ClientId = claimedId;
        var peerMaxFrame = (int)Math.Min(hello.MaxFrameSize, int.MaxValue - ProtocolConstants.HeaderSize);
        link.Establish(heartbeat, peerMaxFrame, options.MaxFrameSize);
        if ((hello.Flags & HelloFlags.Session) != 0 && options.Sessions.Enabled)
        {
            var plan = await SessionHandshake.PlanAsync(_server, this, hello).ConfigureAwait(false);
            Session = plan.Session;
            SessionResumed = plan.Resumed;
            plan.Session.Attach(this);
            var resent = plan.Session.Linked.Attach(link, plan.PeerLastReceived, peerMaxFrame, (Connection: this, Plan: plan), static (writer, lastReceived, state) =>
                state.Connection.CreateWelcome(state.Plan.Session.Id, state.Plan.Resumed, state.Plan.Resumed ? lastReceived : 0, state.Plan.ResetReason, state.Plan.LostCount).Write(writer));
            _server.Metrics.MessagesResent.Add(resent);
            if (plan.Resumed)
            {
                _server.Metrics.SessionsResumed.Add(1);
                _server.Log.SessionResumed(this, plan.Session, resent);
            }
            else
            {
                _server.Metrics.SessionsStarted.Add(1);
            }
        }
        else
        {
            // No session: a resume request is answered with a session-less connection, which tells the client its
            // session is gone (protocol section 10.1).
            link.SendControl(
                CreateWelcome(SessionId.None, resumed: false, 0, hello.IsResume ? SessionResetReason.Unknown : SessionResetReason.None, hello.IsResume ? ProtocolConstants.UnknownLostCount : 0),
                static (w, writer) => w.Write(writer));
        }

        if (_link.IsClosing)
        {
            return false;
        }

        _state = (int)ConnectionState.Open;
        _server.OnHandshakeCompleted(this);
        _server.Wheel.Schedule(this, Time.GetTimestamp() + ToTicks(heartbeat.Interval));
        return _state == (int)ConnectionState.Open;
    }

    private async ValueTask<AuthenticationResult> AuthenticateAsync(IConnectionAuthenticator authenticator, string? claimedId, ReadOnlyMemory<byte> token)
    {
        try
        {
            return await authenticator.AuthenticateAsync(new AuthenticationRequest(claimedId, token, RemoteEndPoint), Closed).ConfigureAwait(false)
                ?? AuthenticationResult.Reject("the authenticator gave no verdict");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _server.Log.HandlerFailed(this, ex);
            return AuthenticationResult.Reject("authentication failed");
        }
    }

    /// <summary>The WELCOME for the heartbeat this link agreed (<see cref="Heartbeat"/>) and the session outcome given.</summary>
    private WelcomeFrame CreateWelcome(SessionId sessionId, bool resumed, ulong lastReceived, SessionResetReason resetReason, uint lostCount) => new()
    {
        HeartbeatIntervalMs = (uint)Heartbeat.Interval.TotalMilliseconds,
        HeartbeatTimeoutMs = (uint)Heartbeat.Timeout.TotalMilliseconds,
        MaxFrameSize = (uint)_server.Options.MaxFrameSize,
        ConnectionId = (ulong)Id,
        ServerId = _server.Options.ServerId,
        SessionActive = !sessionId.IsNone,
        Resumed = resumed,
        SessionId = sessionId,
        LastReceivedSequence = lastReceived,
        SessionResetReason = resetReason,
        LostCount = lostCount,
    };

    /// <summary>Completes when this connection's receive loop has ended (a session taken over waits for it).</summary>
    internal Task ReceiveEnded
    {
        get
        {
            var ended = LazyInitializer.EnsureInitialized(ref Extras.ReceiveEnded, static () => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            if (_receiveDone)
            {
                ended.TrySetResult();
            }

            return ended.Task;
        }
    }

    /// <summary>The protocol link of a Tether protocol connection (sessions only exist there).</summary>
    internal PeerLink Link => Peer ?? throw new InvalidOperationException("a plain connection has no protocol link");

    void ISendFailureObserver.OnSendFailed(Exception exception)
    {
        _link.TrySetCloseInfo(new DisconnectInfo(DisconnectReason.ConnectionLost, null, exception.Message));
        _link.Transport.Abort();
    }

    private async Task FinishAsync(bool opened)
    {
        _link.TrySetCloseInfo(new DisconnectInfo(DisconnectReason.ConnectionLost, null, "connection ended"));
        _state = (int)ConnectionState.Closing;
        _receiveDone = true;
        if (Volatile.Read(ref _extras) is { } extras)
        {
            Volatile.Read(ref extras.ReceiveEnded)?.TrySetResult();
        }

        if (Session is { } session && session.Detach(this, Peer!))
        {
            _server.Log.SessionDetached(this, session);
        }

        await _link.FinishAsync(_server.Options.CloseLinger).ConfigureAwait(false);
        var info = _link.CloseInfo!;
        if (info.Reason == DisconnectReason.ProtocolError && _link.ClosedHere)
        {
            _server.Log.ProtocolViolation(this, info.Code ?? CloseCode.ProtocolError, info.Description);
        }

        _state = (int)ConnectionState.Closed;
        _server.Wheel.Remove(this);
        _server.OnConnectionClosed(this, info, opened);
        if (Volatile.Read(ref _extras)?.ClosedSource is { } source)
        {
            await source.CancelAsync().ConfigureAwait(false);
        }

        if (opened)
        {
            try
            {
                await _server.Handler.OnDisconnectedAsync(this, info).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _server.Log.HandlerFailed(this, ex);
            }
        }
    }

    private long ToTicks(TimeSpan time) => (long)(time.TotalSeconds * Time.TimestampFrequency);
}
