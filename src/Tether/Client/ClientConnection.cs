using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using Tether.Diagnostics;
using Tether.Heartbeat;
using Tether.Link;
using Tether.Protocol;
using Tether.Transport;

namespace Tether.Client;

/// <summary>
/// One connection of a <see cref="TetherClient"/>: connect and handshake, then the shared <see cref="PeerLink"/> plus a
/// heartbeat loop until the connection ends. The client makes a new one for every attempt.
/// </summary>
[SuppressMessage("Reliability", "CA1001", Justification = "The token source has no timer, and late callers may still observe its token, so it is never disposed.")]
internal sealed class ClientConnection : ILinkHandler
{
    private readonly PeerLink _link;
    private readonly TimeProvider _time;
    private readonly TetherClientOptions _options;
    private readonly CancellationTokenSource _ended = new();
    private IMessageSink? _sink;
    private readonly Lock _timerLock = new();
    private ITimer? _ackTimer;
    private ITimer? _heartbeatTimer;
    private bool _timerClosed;

    internal ClientConnection(SocketTransport transport, EndPoint endPoint, WelcomeFrame welcome, TetherClientOptions options, TimeProvider time, TetherMetrics metrics)
    {
        _time = time;
        _options = options;
        EndPoint = endPoint;
        Welcome = welcome;
        _link = new PeerLink(transport, time, metrics);
        _link.Establish(
            new HeartbeatSettings(TimeSpan.FromMilliseconds(welcome.HeartbeatIntervalMs), TimeSpan.FromMilliseconds(welcome.HeartbeatTimeoutMs)),
            (int)Math.Min(welcome.MaxFrameSize, int.MaxValue - ProtocolConstants.HeaderSize),
            options.MaxFrameSize);
        ConnectedAt = time.GetTimestamp();
    }

    public EndPoint EndPoint { get; }

    /// <summary>The shared link (the client attaches its session to it before <see cref="RunAsync"/>).</summary>
    public PeerLink Link => _link;

    public WelcomeFrame Welcome { get; }

    public HeartbeatSettings Heartbeat => _link.Heartbeat;

    public long ConnectedAt { get; }

    /// <summary>Raised with each round-trip time measured.</summary>
    public Action<TimeSpan>? RoundTripMeasured { get; set; }

    /// <summary>Runs until the connection ends; returns why. Messages go to <paramref name="sink"/>.</summary>
    public async Task<DisconnectInfo> RunAsync(IMessageSink sink)
    {
        _sink = sink;
        StartHeartbeat();
        DisconnectInfo info;
        try
        {
            info = await _link.RunReceiveLoopAsync(this).ConfigureAwait(false);
        }
        catch (TetherProtocolException ex)
        {
            info = new DisconnectInfo(DisconnectReason.ProtocolError, ex.Code, ex.Message);
            Close(info, ex.Code, ex.Message);
        }

        await _link.FinishAsync(_options.CloseLinger).ConfigureAwait(false);
        lock (_timerLock)
        {
            _timerClosed = true;
            _ackTimer?.Dispose();
            _heartbeatTimer?.Dispose();
        }

        await _ended.CancelAsync().ConfigureAwait(false);
        return info;
    }

    /// <summary>
    /// Queues a message on a connection without a session; Full when over the outbound limit; Closed when the
    /// connection is gone or carries a session (whose messages go through the session).
    /// </summary>
    public SendResult TrySend(ReadOnlySpan<byte> message) =>
        _link.Session is null ? _link.TrySendData(message, _options.MaxPendingOutboundBytes) : SendResult.Closed;

    public Task FlushAsync() => _link.Transport.FlushAsync();

    /// <summary>Closes with CLOSE <paramref name="code"/>; the server is given the linger time to close its side.</summary>
    public void Close(DisconnectInfo info, CloseCode code, string reason)
    {
        if (_link.BeginClose(info, code, reason, 0, immediate: false))
        {
            _ = AbortAfterLingerAsync();
        }
    }

    ValueTask ILinkHandler.OnDataAsync(ReadOnlySequence<byte> payload) => _sink!.DeliverAsync(payload, _ended.Token);

    /// <summary>
    /// GOAWAY (protocol section 11): no new message goes to this connection from now on, the pending ack goes out, then
    /// CLOSE 1000, at once rather than at the end of the server's drain. Nothing waits for answers: in a session what the
    /// server has not acknowledged is resent after the resume; without one, replies not yet received are lost.
    /// </summary>
    DisconnectInfo ILinkHandler.OnGoAway(GoAwayFrame goAway)
    {
        var info = new DisconnectInfo(DisconnectReason.GoingAway, CloseCode.GoingAway, goAway.Reason.Length > 0 ? goAway.Reason : "server going away")
        {
            RetryAfter = TimeSpan.FromMilliseconds(goAway.RetryAfterMs),
            AlternateEndPoints = AlternateEndpoints.From(goAway.Extensions),
        };
        Close(info, CloseCode.Normal, "going away");
        return info;
    }

    void ILinkHandler.OnAckPending(long deadline)
    {
        lock (_timerLock)
        {
            if (_timerClosed)
            {
                return;
            }

            _ackTimer ??= _time.CreateTimer(static state => ((ClientConnection)state!).OnAckTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _ackTimer.Change(TimeSpan.FromSeconds(Math.Max(deadline - _time.GetTimestamp(), 0) / (double)_time.TimestampFrequency), Timeout.InfiniteTimeSpan);
        }
    }

    void ILinkHandler.OnRoundTrip(TimeSpan roundTripTime) => RoundTripMeasured?.Invoke(roundTripTime);

    // A client trusts its server's pace; what it cannot absorb is bounded by its receive queue instead.
    void ILinkHandler.OnReceived(int frames, int bytes, long now)
    {
    }

    /// <summary>
    /// One timer, re-armed for the next deadline the liveness rule gives (a PING due, or the timeout). Its callback does
    /// the check itself, at the time it fires: nothing is scheduled from a stale reading of the clock.
    /// </summary>
    private void StartHeartbeat()
    {
        lock (_timerLock)
        {
            if (_timerClosed)
            {
                return;
            }

            _heartbeatTimer = _time.CreateTimer(static state => ((ClientConnection)state!).OnHeartbeatTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        OnHeartbeatTimer();
    }

    private void OnHeartbeatTimer()
    {
        if (_link.IsClosing)
        {
            return;
        }

        var now = _time.GetTimestamp();
        if (_link.CheckLiveness(now, out var next, out var silence) == LivenessVerdict.Dead)
        {
            // Protocol section 12: CLOSE 1006 best effort, then closed at once, no linger (the link is presumed dead).
            // A send buffer the dead link never drains could hold the shutdown back: the linger bounds that too.
            var info = new DisconnectInfo(DisconnectReason.HeartbeatTimeout, CloseCode.HeartbeatTimeout, $"nothing received from the server for {silence.TotalSeconds:0.###} s");
            if (_link.BeginClose(info, CloseCode.HeartbeatTimeout, "heartbeat timeout", 0, immediate: true))
            {
                _ = AbortAfterLingerAsync();
            }

            return;
        }

        _link.Session?.TrimIfIdle();
        lock (_timerLock)
        {
            if (!_timerClosed)
            {
                _heartbeatTimer!.Change(TimeSpan.FromSeconds(Math.Max(next - now, 1) / (double)_time.TimestampFrequency), Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void OnAckTimer()
    {
        var next = _link.FlushAck(force: false, _time.GetTimestamp());
        if (next != long.MaxValue)
        {
            ((ILinkHandler)this).OnAckPending(next);
        }
    }

    private async Task AbortAfterLingerAsync()
    {
        try
        {
            await Task.Delay(_options.CloseLinger, _time, _ended.Token).ConfigureAwait(false);
            _link.Transport.Abort();
        }
        catch (OperationCanceledException)
        {
        }
    }
}
