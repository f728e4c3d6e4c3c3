using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Tether.Heartbeat;
using Tether.Protocol;
using Tether.Transport;

namespace Tether.Server;

/// <summary>
/// One client connection on a <see cref="TetherServer"/>: its identity, per-connection state, and the way to push to it
/// or close it. It runs the server side of the protocol: handshake, liveness (through the server's timing wheel), and
/// dispatch of messages to the <see cref="TetherServerHandler"/>.
/// </summary>
public sealed class TetherConnection : IWheelEntry
{
    private readonly TetherServer _server;
    private readonly SocketTransport _transport;
    private readonly TimeProvider _time;
    private readonly long _connectedAt;
    private ConcurrentDictionary<string, object?>? _items;
    private DisconnectInfo? _closeInfo;
    private CancellationTokenSource? _closedSource;
    private volatile int _state;
    private long _lastSent;
    private long _lastReceived;
    private long _intervalTicks;
    private long _timeoutTicks;
    private long _deadline;
    private long _lastPingSent;
    private long _rttTicks = -1;
    private int _peerMaxFrame = ProtocolConstants.HandshakeMaxBodySize;
    private volatile bool _handlerBusy;
    private volatile bool _closeStartedHere;
    private WheelLinks _wheelLinks = new();

    internal TetherConnection(TetherServer server, Socket socket, long id)
    {
        _server = server;
        _time = server.TimeProvider;
        Id = id;
        _transport = new SocketTransport(socket, ProtocolConstants.HeaderSize + ProtocolConstants.HandshakeMaxBodySize);
        _transport.SendFailed = OnSendFailed;
        _connectedAt = _time.GetTimestamp();
        _deadline = _connectedAt + ToTicks(server.Options.HandshakeTimeout);
    }

    /// <summary>Server-unique id, also sent to the client in WELCOME.</summary>
    public long Id { get; }

    /// <summary>The client id the peer presented in HELLO, or null for an anonymous client.</summary>
    public string? ClientId { get; private set; }

    /// <summary>Where the peer connects from.</summary>
    public EndPoint? RemoteEndPoint => _transport.RemoteEndPoint;

    /// <summary>The listener endpoint this connection arrived on.</summary>
    public EndPoint? LocalEndPoint => _transport.LocalEndPoint;

    /// <summary>Where the connection is in its lifecycle.</summary>
    public ConnectionState State => (ConnectionState)_state;

    /// <summary>The heartbeat agreed in the handshake (default until then).</summary>
    public HeartbeatSettings Heartbeat { get; private set; }

    /// <summary>The latest round-trip time measured by a server PING, if any.</summary>
    public TimeSpan? RoundTripTime => Volatile.Read(ref _rttTicks) is var rtt and >= 0 ? _time.GetElapsedTime(0, rtt) : null;

    /// <summary>How long ago the connection was accepted.</summary>
    public TimeSpan Age => _time.GetElapsedTime(_connectedAt);

    /// <summary>Application state for this connection (created on first use).</summary>
    public IDictionary<string, object?> Items => LazyInitializer.EnsureInitialized(ref _items);

    /// <summary>Bytes queued for this connection and not yet written to the socket.</summary>
    public int PendingOutboundBytes => _transport.PendingBytes;

    /// <summary>Why the connection ended, once it has.</summary>
    public DisconnectInfo? DisconnectInfo => Volatile.Read(ref _closeInfo);

    /// <summary>Cancelled when the connection closes (created on first use).</summary>
    public CancellationToken Closed
    {
        get
        {
            var source = LazyInitializer.EnsureInitialized(ref _closedSource);
            if (State == ConnectionState.Closed)
            {
                source.Cancel();
            }

            return source.Token;
        }
    }

    internal SocketTransport Transport => _transport;

    internal long Deadline => _deadline;

    internal long LastReceivedTimestamp => Volatile.Read(ref _lastReceived);

    /// <summary>
    /// Queues <paramref name="message"/> for the peer. Completes when it is queued (not when the peer has it); waits
    /// while the connection's outbound queue is over its limit. Throws <see cref="TetherException"/> when the
    /// connection is closed or the message is larger than the peer accepts.
    /// </summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            switch (TryEnqueueData(message.Span, _server.Options.MaxPendingOutboundBytes))
            {
                case EnqueueResult.Queued:
                    return;
                case EnqueueResult.Closed:
                    throw new TetherException($"connection {Id} is closed");
                default:
                    await _transport.FlushAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>Sends CLOSE with <paramref name="code"/> and closes the connection gracefully.</summary>
    public Task CloseAsync(CloseCode code = CloseCode.Normal, string? reason = null)
    {
        var info = new DisconnectInfo(DisconnectReason.ClosedLocally, code, reason ?? "closed by the server");
        BeginClose(info, code, reason ?? string.Empty, 0, immediate: false);
        return _transport.FlushAsync();
    }

    /// <summary>Closes the socket at once, without a CLOSE frame.</summary>
    public void Abort()
    {
        TrySetCloseInfo(new DisconnectInfo(DisconnectReason.ClosedLocally, null, "aborted by the server"));
        _transport.Abort();
    }

    /// <inheritdoc/>
    public override string ToString() => ClientId is null ? $"#{Id} {RemoteEndPoint}" : $"#{Id} {ClientId} {RemoteEndPoint}";

    internal EnqueueResult TryEnqueueData(ReadOnlySpan<byte> message, int pendingLimit)
    {
        if (message.Length + 16 > _peerMaxFrame)
        {
            throw new ArgumentException($"a message of {message.Length} bytes exceeds the {_peerMaxFrame}-byte frame limit of connection {Id}", nameof(message));
        }

        using (var scope = _transport.BeginSend(inline: true))
        {
            if (!scope.CanSend || _state != (int)ConnectionState.Open)
            {
                return EnqueueResult.Closed;
            }

            if (scope.PendingBytes > 0 && scope.PendingBytes + message.Length > pendingLimit)
            {
                return EnqueueResult.Full;
            }

            FrameWriter.WriteData(scope.Writer, message);
        }

        _lastSent = _time.GetTimestamp();
        return EnqueueResult.Queued;
    }

    /// <summary>Copies an already encoded frame (a broadcast) into the outbound queue, or reports why not.</summary>
    internal EnqueueResult TryEnqueueFrame(ReadOnlySpan<byte> frame, int pendingLimit)
    {
        using (var scope = _transport.BeginSend())
        {
            if (!scope.CanSend || _state != (int)ConnectionState.Open)
            {
                return EnqueueResult.Closed;
            }

            if (scope.PendingBytes > 0 && scope.PendingBytes + frame.Length > pendingLimit)
            {
                return EnqueueResult.Full;
            }

            frame.CopyTo(scope.Writer.GetSpan(frame.Length));
            scope.Writer.Advance(frame.Length);
        }

        _lastSent = _time.GetTimestamp();
        return EnqueueResult.Queued;
    }

    internal void SendGoAway(GoAwayFrame frame)
    {
        using var scope = _transport.BeginSend();
        if (scope.CanSend && _state == (int)ConnectionState.Open)
        {
            frame.Write(scope.Writer);
        }
    }

    /// <summary>
    /// Starts closing: records why (first reason wins), sends CLOSE, then either drops the socket once the frame is
    /// flushed (<paramref name="immediate"/>, for dead peers) or half-closes and waits up to the linger time for the
    /// peer's FIN. Safe to call from any thread, any number of times.
    /// </summary>
    internal void BeginClose(DisconnectInfo info, CloseCode code, string reason, uint retryAfterMs, bool immediate)
    {
        if (!TrySetCloseInfo(info))
        {
            return;
        }

        _state = (int)ConnectionState.Closing;
        _closeStartedHere = true;
        using (var scope = _transport.BeginSend())
        {
            if (scope.CanSend)
            {
                new CloseFrame { Code = code, Reason = reason, RetryAfterMs = retryAfterMs }.Write(scope.Writer);
            }
        }

        // The deadline is only the backstop: normally the peer's FIN (or our own shutdown) ends the receive loop first,
        // and the socket is disposed after that, never under a pending receive (which would turn FIN into RST).
        _deadline = _time.GetTimestamp() + ToTicks(_server.Options.CloseLinger);
        _server.Wheel.Schedule(this, _deadline);
        _ = immediate ? ShutdownAfterFlushAsync() : _transport.ShutdownSendAsync();
    }

    internal async Task RunAsync()
    {
        DisconnectInfo? ended = null;
        var connectedNotified = false;
        try
        {
            SocketTuning.Apply(_transport.Socket, _server.Options.Tcp);
            _server.Wheel.Schedule(this, _deadline);
            if (!await HandshakeAsync().ConfigureAwait(false))
            {
                return;
            }

            connectedNotified = true;
            await _server.Handler.OnConnectedAsync(this).ConfigureAwait(false);
            ended = await ReceiveLoopAsync().ConfigureAwait(false);
        }
        catch (TetherProtocolException ex)
        {
            if (ex.Code == CloseCode.FrameTooLarge)
            {
                _server.Metrics.LimitRejections.Add(1, new KeyValuePair<string, object?>("limit", "max-frame-size"));
            }

            _server.Log.ProtocolViolation(this, ex.Code, ex.Message);
            BeginClose(new DisconnectInfo(DisconnectReason.ProtocolError, ex.Code, ex.Message), ex.Code, ex.Message, 0, immediate: false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            ended = new DisconnectInfo(DisconnectReason.ConnectionLost, null, ex.Message);
        }
        catch (Exception ex)
        {
            _server.Log.HandlerFailed(this, ex);
            BeginClose(new DisconnectInfo(DisconnectReason.ApplicationError, CloseCode.InternalError, ex.Message, ex), CloseCode.InternalError, "internal error", 0, immediate: false);
        }
        finally
        {
            await FinishAsync(ended, connectedNotified).ConfigureAwait(false);
        }
    }

    ref WheelLinks IWheelEntry.WheelLinks => ref _wheelLinks;

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
                return CheckLiveness(now);
            case ConnectionState.Closing when now >= _deadline:
                _transport.Abort();
                return long.MaxValue;
            case ConnectionState.Closing:
                return _deadline;
            default:
                return long.MaxValue;
        }
    }

    private long CheckLiveness(long now)
    {
        var lastReceived = _handlerBusy ? now : Volatile.Read(ref _lastReceived);
        switch (LivenessRule.Evaluate(now, Volatile.Read(ref _lastSent), lastReceived, _intervalTicks, _timeoutTicks, out var next))
        {
            case LivenessVerdict.Dead:
                _server.Metrics.HeartbeatTimeouts.Add(1);
                var silence = _time.GetElapsedTime(lastReceived, now);
                _server.Log.HeartbeatTimeout(this, silence.TotalMilliseconds);
                BeginClose(new DisconnectInfo(DisconnectReason.HeartbeatTimeout, CloseCode.HeartbeatTimeout, $"nothing received for {silence.TotalSeconds:0.###} s"), CloseCode.HeartbeatTimeout, "heartbeat timeout", 0, immediate: true);
                return _deadline;
            case LivenessVerdict.SendPing:
                SendPing(now);
                return next;
            default:
                return next;
        }
    }

    private void SendPing(long now)
    {
        using (var scope = _transport.BeginSend())
        {
            if (!scope.CanSend)
            {
                return;
            }

            FrameWriter.WritePing(scope.Writer, (ulong)now);
        }

        _lastPingSent = now;
        _lastSent = now;
        _server.Metrics.PingsSent.Add(1);
    }

    private async Task<bool> HandshakeAsync()
    {
        while (true)
        {
            var data = await _transport.ReceiveAsync().ConfigureAwait(false);
            if (data.IsEmpty)
            {
                TrySetCloseInfo(new DisconnectInfo(DisconnectReason.ConnectionLost, null, "closed before the handshake"));
                return false;
            }

            var buffer = new ReadOnlySequence<byte>(data);
            if (!TetherFrame.TryRead(ref buffer, ProtocolConstants.HandshakeMaxBodySize, out var frame))
            {
                _transport.Consume(0);
                continue;
            }

            if (frame.Type != FrameType.Hello)
            {
                throw new TetherProtocolException(CloseCode.ProtocolError, $"expected HELLO, got {frame.Type}");
            }

            var hello = HelloFrame.Parse(frame);
            _transport.Consume(frame.EncodedLength);
            return Accept(hello);
        }
    }

    private bool Accept(HelloFrame hello)
    {
        if (hello.MinVersion > ProtocolConstants.Version || hello.MaxVersion < ProtocolConstants.Version)
        {
            var reason = $"server supports versions {ProtocolConstants.Version}-{ProtocolConstants.Version}";
            _server.Metrics.HandshakeFailures.Add(1, new KeyValuePair<string, object?>("reason", "unsupported-version"));
            BeginClose(new DisconnectInfo(DisconnectReason.HandshakeRejected, CloseCode.UnsupportedVersion, reason), CloseCode.UnsupportedVersion, reason, 0, immediate: false);
            return false;
        }

        var options = _server.Options;
        Heartbeat = HeartbeatNegotiation.Decide(options.Heartbeat, hello.HeartbeatIntervalMs, hello.HeartbeatTimeoutMs);
        _intervalTicks = ToTicks(Heartbeat.Interval);
        _timeoutTicks = ToTicks(Heartbeat.Timeout);
        _peerMaxFrame = (int)Math.Min(hello.MaxFrameSize, int.MaxValue - ProtocolConstants.HeaderSize);
        ClientId = hello.ClientId.Length == 0 ? null : hello.ClientId;
        _transport.SetMaxReceiveBuffer(ProtocolConstants.HeaderSize + options.MaxFrameSize);

        var welcome = new WelcomeFrame
        {
            HeartbeatIntervalMs = (uint)Heartbeat.Interval.TotalMilliseconds,
            HeartbeatTimeoutMs = (uint)Heartbeat.Timeout.TotalMilliseconds,
            MaxFrameSize = (uint)options.MaxFrameSize,
            ConnectionId = (ulong)Id,
            SessionResetReason = hello.IsResume ? SessionResetReason.Unknown : SessionResetReason.None,
            LostCount = hello.IsResume ? ProtocolConstants.UnknownLostCount : 0,
            ServerId = options.ServerId,
        };

        using (var scope = _transport.BeginSend())
        {
            if (!scope.CanSend)
            {
                return false;
            }

            welcome.Write(scope.Writer);
        }

        var now = _time.GetTimestamp();
        _lastSent = now;
        _lastReceived = now;
        _state = (int)ConnectionState.Open;
        _server.OnHandshakeCompleted(this);
        _server.Wheel.Schedule(this, now + Math.Min(_intervalTicks, _timeoutTicks));
        return _state == (int)ConnectionState.Open;
    }

    private async Task<DisconnectInfo?> ReceiveLoopAsync()
    {
        var maxBody = _server.Options.MaxFrameSize;
        var metrics = _server.Metrics;
        var data = _transport.Buffered;
        while (true)
        {
            if (data.IsEmpty)
            {
                data = await _transport.ReceiveAsync().ConfigureAwait(false);
            }

            if (data.IsEmpty)
            {
                return new DisconnectInfo(DisconnectReason.ConnectionLost, null, "the peer closed the connection");
            }

            Volatile.Write(ref _lastReceived, _time.GetTimestamp());
            metrics.BytesReceived.Add(data.Length);
            var buffer = new ReadOnlySequence<byte>(data);
            var frames = 0;
            while (TetherFrame.TryRead(ref buffer, maxBody, out var frame))
            {
                frames++;
                if (frame.Type == FrameType.Data)
                {
                    var payload = DataFrame.Parse(frame).Payload;
                    var pending = _server.Handler.OnMessageAsync(this, payload);
                    if (!pending.IsCompletedSuccessfully)
                    {
                        await WaitForHandlerAsync(pending).ConfigureAwait(false);
                    }

                    continue;
                }

                if (HandleControlFrame(frame) is { } closed)
                {
                    _transport.Consume(data.Length - (int)buffer.Length);
                    return closed;
                }
            }

            metrics.FramesReceived.Add(frames);
            _transport.Consume(data.Length - (int)buffer.Length);
            data = ReadOnlyMemory<byte>.Empty;
        }
    }

    private async ValueTask WaitForHandlerAsync(ValueTask pending)
    {
        _handlerBusy = true;
        try
        {
            await pending.ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _lastReceived, _time.GetTimestamp());
            _handlerBusy = false;
        }
    }

    private DisconnectInfo? HandleControlFrame(in TetherFrame frame)
    {
        switch (frame.Type)
        {
            case FrameType.Ping:
                using (var scope = _transport.BeginSend(inline: true))
                {
                    if (scope.CanSend)
                    {
                        FrameWriter.WritePong(scope.Writer, frame.ReadUInt64Body());
                    }
                }

                _lastSent = _time.GetTimestamp();
                return null;
            case FrameType.Pong:
                OnPong(frame.ReadUInt64Body());
                return null;
            case FrameType.Close:
                var close = CloseFrame.Parse(frame);
                var info = DisconnectInfo.FromCloseFrame(close) with { Reason = DisconnectReason.ClosedByPeer };
                TrySetCloseInfo(info);
                return info;
            case FrameType.Ack:
                // Sessions are not active on this connection (WELCOME had no SESSION flag): acknowledgements mean nothing.
                return null;
            case FrameType.Hello or FrameType.Welcome or FrameType.GoAway:
                throw new TetherProtocolException(CloseCode.ProtocolError, $"unexpected {frame.Type} frame from a client");
            default:
                // Extension frames (0x40-0x7F) this server does not know are skipped, as the protocol requires.
                return null;
        }
    }

    private void OnPong(ulong value)
    {
        _server.Metrics.PongsReceived.Add(1);
        if ((long)value == _lastPingSent && _lastPingSent != 0)
        {
            var rtt = _time.GetTimestamp() - _lastPingSent;
            Volatile.Write(ref _rttTicks, rtt);
            _server.Metrics.RoundTripTime.Record(_time.GetElapsedTime(0, rtt).TotalMilliseconds);
        }
    }

    private async Task ShutdownAfterFlushAsync()
    {
        await _transport.FlushAsync().ConfigureAwait(false);
        _transport.Shutdown();
    }

    private void OnSendFailed(Exception exception)
    {
        TrySetCloseInfo(new DisconnectInfo(DisconnectReason.ConnectionLost, null, exception.Message));
        _transport.Abort();
    }

    private bool TrySetCloseInfo(DisconnectInfo info) => Interlocked.CompareExchange(ref _closeInfo, info, null) is null;

    private async Task FinishAsync(DisconnectInfo? ended, bool connectedNotified)
    {
        if (ended is not null)
        {
            TrySetCloseInfo(ended);
        }

        if (_closeStartedHere)
        {
            // Our CLOSE is on its way: let the peer read it and close its side; the wheel aborts at the linger deadline.
            await _transport.DiscardUntilEndAsync().ConfigureAwait(false);
        }

        var info = _closeInfo ?? new DisconnectInfo(DisconnectReason.ConnectionLost, null, "connection ended");
        if (info.Reason is DisconnectReason.ClosedByPeer or DisconnectReason.ConnectionLost)
        {
            // The peer is done sending, not necessarily done reading: replies already queued (an echo of its last
            // message) still go out, bounded by the linger time.
            _state = (int)ConnectionState.Closing;
            await _transport.ShutdownSendAsync().WaitAsync(_server.Options.CloseLinger, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _state = (int)ConnectionState.Closed;
        _transport.Abort();
        _transport.ReleaseReceiveBuffer();
        _server.Wheel.Remove(this);
        _server.OnConnectionClosed(this, info, connectedNotified);
        if (_closedSource is { } source)
        {
            await source.CancelAsync().ConfigureAwait(false);
        }

        if (connectedNotified)
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

    private long ToTicks(TimeSpan time) => (long)(time.TotalSeconds * _time.TimestampFrequency);
}
