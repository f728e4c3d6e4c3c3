using System.Buffers;
using System.Net.Sockets;
using Tether.Diagnostics;
using Tether.Heartbeat;
using Tether.Protocol;
using Tether.Sessions;
using Tether.Transport;

namespace Tether.Link;

/// <summary>
/// The part of a Tether connection that is the same on both sides once the handshake is done: the two liveness clocks,
/// sending DATA and PING, answering PING, measuring RTT, reading frames and dispatching them, and closing with a CLOSE
/// frame without turning FIN into RST. The server's <c>TetherConnection</c> and the client's <c>ClientConnection</c>
/// each own one and add what is theirs (handshake, registry and wheel; reconnect and inbox).
/// </summary>
internal sealed class PeerLink
{
    private readonly TimeProvider _time;
    private readonly TetherMetrics _metrics;
    private DisconnectInfo? _closeInfo;
    private long _lastSent;
    private long _lastReceived;
    private long _lastPingSent;
    private long _intervalTicks;
    private long _timeoutTicks;
    private int _peerMaxFrame = ProtocolConstants.HandshakeMaxBodySize;
    private int _maxInboundFrame = ProtocolConstants.HandshakeMaxBodySize;
    private volatile bool _consumerBusy;
    private volatile bool _closeStartedHere;

    public PeerLink(SocketTransport transport, TimeProvider time, TetherMetrics metrics)
    {
        Transport = transport;
        _time = time;
        _metrics = metrics;
        _lastSent = _lastReceived = time.GetTimestamp();
    }

    public SocketTransport Transport { get; }

    /// <summary>The reliable session this link carries, or null: DATA is then neither numbered nor acknowledged.</summary>
    public ReliableSession? Session { get; set; }

    public HeartbeatSettings Heartbeat { get; private set; }

    public DisconnectInfo? CloseInfo => Volatile.Read(ref _closeInfo);

    public bool IsClosing => Volatile.Read(ref _closeInfo) is not null;

    public long LastReceived => Volatile.Read(ref _lastReceived);

    /// <summary>True when this side sent CLOSE (as opposed to the peer, or the network, ending the link).</summary>
    public bool ClosedHere => _closeStartedHere;

    /// <summary>Completes the handshake: the agreed heartbeat and the frame limits of both directions.</summary>
    public void Establish(HeartbeatSettings heartbeat, int peerMaxFrame, int maxInboundFrame)
    {
        Heartbeat = heartbeat;
        _intervalTicks = ToTicks(heartbeat.Interval);
        _timeoutTicks = ToTicks(heartbeat.Timeout);
        _peerMaxFrame = peerMaxFrame;
        _maxInboundFrame = maxInboundFrame;
        Transport.SetMaxReceiveBuffer(ProtocolConstants.HeaderSize + maxInboundFrame);
        var now = _time.GetTimestamp();
        Volatile.Write(ref _lastSent, now);
        Volatile.Write(ref _lastReceived, now);
    }

    /// <summary>Records why the link ends; the first reason wins.</summary>
    public bool TrySetCloseInfo(DisconnectInfo info) => Interlocked.CompareExchange(ref _closeInfo, info, null) is null;

    /// <summary>Queues one DATA frame unless the link is closing or the queue is over <paramref name="pendingLimit"/>.</summary>
    public SendResult TrySendData(ReadOnlySpan<byte> message, int pendingLimit)
    {
        if (message.Length + 16 > _peerMaxFrame)
        {
            throw new ArgumentException($"a message of {message.Length} bytes exceeds the peer's frame limit of {_peerMaxFrame} bytes", nameof(message));
        }

        using (var scope = Transport.BeginSend(inline: true))
        {
            if (!scope.CanSend || IsClosing)
            {
                return SendResult.Closed;
            }

            if (scope.PendingBytes > 0 && scope.PendingBytes + message.Length > pendingLimit)
            {
                return SendResult.Full;
            }

            FrameWriter.WriteData(scope.Writer, message);
        }

        Volatile.Write(ref _lastSent, _time.GetTimestamp());
        _metrics.FramesSent.Add(1);
        _metrics.MessagesSent.Add(1);
        return SendResult.Queued;
    }

    /// <summary>Copies an already encoded frame (one broadcast, many links); the drain runs on the thread pool.</summary>
    public SendResult TrySendEncoded(ReadOnlySpan<byte> frame, int pendingLimit)
    {
        if (frame.Length - ProtocolConstants.HeaderSize > _peerMaxFrame)
        {
            return SendResult.TooLarge;
        }

        using (var scope = Transport.BeginSend())
        {
            if (!scope.CanSend || IsClosing)
            {
                return SendResult.Closed;
            }

            if (scope.PendingBytes > 0 && scope.PendingBytes + frame.Length > pendingLimit)
            {
                return SendResult.Full;
            }

            frame.CopyTo(scope.Writer.GetSpan(frame.Length));
            scope.Writer.Advance(frame.Length);
        }

        // Counted once per broadcast by the server, not per copy.
        Volatile.Write(ref _lastSent, _time.GetTimestamp());
        return SendResult.Queued;
    }

    /// <summary>Queues a control frame written by <paramref name="write"/> (e.g. GOAWAY) unless the link is closing.</summary>
    public void SendControl<TFrame>(TFrame frame, Action<TFrame, IBufferWriter<byte>> write)
    {
        using var scope = Transport.BeginSend();
        if (scope.CanSend && !IsClosing)
        {
            write(frame, scope.Writer);
            _metrics.FramesSent.Add(1);
        }
    }

    /// <summary>
    /// Applies <see cref="LivenessRule"/> at <paramref name="now"/>: sends the PING itself, and returns
    /// <see cref="LivenessVerdict.Dead"/> for the owner to close. A consumer that holds up reading is not the peer's fault.
    /// </summary>
    public LivenessVerdict CheckLiveness(long now, out long nextDue, out TimeSpan silence)
    {
        var lastReceived = _consumerBusy ? now : Volatile.Read(ref _lastReceived);
        silence = _time.GetElapsedTime(lastReceived, now);
        var verdict = LivenessRule.Evaluate(now, Volatile.Read(ref _lastSent), lastReceived, _intervalTicks, _timeoutTicks, out nextDue);
        if (verdict == LivenessVerdict.SendPing)
        {
            SendPing(now);
        }
        else if (verdict == LivenessVerdict.Dead)
        {
            _metrics.HeartbeatTimeouts.Add(1);
        }

        return verdict;
    }

    /// <summary>
    /// Sends CLOSE and starts closing: <paramref name="immediate"/> (dead peer) shuts the socket down once the frame is
    /// flushed; otherwise only our sending side is closed (FIN) and the peer is expected to close its side. Returns
    /// false if the link was already closing.
    /// </summary>
    public bool BeginClose(DisconnectInfo info, CloseCode code, string reason, uint retryAfterMs, bool immediate)
    {
        if (!TrySetCloseInfo(info))
        {
            return false;
        }

        _closeStartedHere = true;

        // A graceful close tells the peer what we received, so it need not resend it on resume.
        Session?.FlushAck(this, force: true, 0);
        using (var scope = Transport.BeginSend())
        {
            if (scope.CanSend)
            {
                new CloseFrame { Code = code, Reason = reason, RetryAfterMs = retryAfterMs }.Write(scope.Writer);
                _metrics.FramesSent.Add(1);
            }
        }

        _ = immediate ? ShutdownAfterFlushAsync() : Transport.ShutdownSendAsync();
        return true;
    }

    /// <summary>
    /// Reads frames until the link ends and returns why; DATA goes to <paramref name="handler"/> in order. A protocol
    /// violation is thrown as <see cref="TetherProtocolException"/> for the owner to answer with CLOSE.
    /// </summary>
    public async Task<DisconnectInfo> RunReceiveLoopAsync(ILinkHandler handler)
    {
        DisconnectInfo ended;
        try
        {
            ended = await ReceiveFramesAsync(handler).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            ended = new DisconnectInfo(DisconnectReason.ConnectionLost, null, ex.Message);
        }

        TrySetCloseInfo(ended);
        return CloseInfo!;
    }

    /// <summary>
    /// After the receive loop: if we sent CLOSE, read until the peer's FIN (or until the owner's linger deadline aborts
    /// the socket); if the peer closed first, let what we already queued go out (bounded by <paramref name="linger"/>).
    /// </summary>
    public async Task FinishAsync(TimeSpan linger)
    {
        if (_closeStartedHere)
        {
            await Transport.DiscardUntilEndAsync().ConfigureAwait(false);
        }
        else if (CloseInfo?.Reason is DisconnectReason.ClosedByPeer or DisconnectReason.ConnectionLost)
        {
            await Transport.ShutdownSendAsync().WaitAsync(linger, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        // Only now, with no receive pending, is disposing the socket a clean close.
        Transport.Abort();
        Transport.ReleaseReceiveBuffer();
    }

    internal static bool IsConnectionFailure(Exception exception) =>
        exception is SocketException or ObjectDisposedException or IOException;

    private async Task<DisconnectInfo> ReceiveFramesAsync(ILinkHandler handler)
    {
        var data = Transport.Buffered;
        while (true)
        {
            if (data.IsEmpty)
            {
                data = await Transport.ReceiveAsync().ConfigureAwait(false);
                if (data.IsEmpty)
                {
                    return new DisconnectInfo(DisconnectReason.ConnectionLost, null, "the peer closed the connection");
                }
            }

            var buffer = new ReadOnlySequence<byte>(data);
            var frames = 0;
            var messages = 0;
            while (TetherFrame.TryRead(ref buffer, _maxInboundFrame, out var frame))
            {
                frames++;
                if (frame.Type == FrameType.Data)
                {
                    var dataFrame = DataFrame.Parse(frame);
                    if (!Accept(dataFrame, handler))
                    {
                        continue;
                    }

                    messages++;
                    var pending = handler.OnDataAsync(dataFrame.Payload);
                    if (!pending.IsCompletedSuccessfully)
                    {
                        await WaitForConsumerAsync(pending).ConfigureAwait(false);
                    }
                }
                else if (HandleControlFrame(frame, handler) is { } ended)
                {
                    return ended;
                }
            }

            if (frames > 0)
            {
                // Only complete frames prove the peer alive (protocol section 8.2): a peer trickling the bytes of a
                // frame it never finishes is as dead as a silent one.
                Volatile.Write(ref _lastReceived, _time.GetTimestamp());
            }

            _metrics.FramesReceived.Add(frames);
            _metrics.MessagesReceived.Add(messages);
            Transport.Consume(data.Length - (int)buffer.Length);
            data = ReadOnlyMemory<byte>.Empty;
        }
    }

    /// <summary>Applies the session rules to a DATA frame; false when it is a duplicate to drop.</summary>
    private bool Accept(in DataFrame data, ILinkHandler handler)
    {
        var session = Session;
        if (session is null)
        {
            if (data.Flags != DataFlags.None)
            {
                throw new TetherProtocolException(CloseCode.ProtocolError, "DATA with SEQ or ACK on a connection without a session");
            }

            return true;
        }

        if (!data.HasSequence)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, "DATA without SEQ in a session");
        }

        if (data.HasAck)
        {
            session.OnAck(this, data.Ack);
        }

        switch (session.OnData(this, data.Sequence, (int)data.Payload.Length, out var ackDue, out var ackDeadline))
        {
            case SequenceVerdict.Duplicate:
                _metrics.DuplicatesDropped.Add(1);
                return false;
            case SequenceVerdict.Gap:
                throw new TetherProtocolException(CloseCode.ProtocolError, $"DATA seq {data.Sequence} skips messages after {session.LastReceived}");
        }

        if (ackDue)
        {
            session.FlushAck(this, force: true, 0);
        }
        else if (ackDeadline != long.MaxValue)
        {
            handler.OnAckPending(ackDeadline);
        }

        return true;
    }

    /// <summary>Bookkeeping for a DATA frame the session wrote to this link (called under the send lock).</summary>
    public void OnDataWritten()
    {
        Volatile.Write(ref _lastSent, _time.GetTimestamp());
        _metrics.FramesSent.Add(1);
        _metrics.MessagesSent.Add(1);
    }

    /// <summary>Writes an ACK frame (called by the session under the send lock).</summary>
    public void WriteAck(IBufferWriter<byte> writer, ulong value)
    {
        FrameWriter.WriteAck(writer, value);
        Volatile.Write(ref _lastSent, _time.GetTimestamp());
        _metrics.FramesSent.Add(1);
        _metrics.AcksSent.Add(1);
    }

    private async ValueTask WaitForConsumerAsync(ValueTask pending)
    {
        // The application holds up reading: the peer cannot be blamed for the silence that follows.
        _consumerBusy = true;
        try
        {
            await pending.ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _lastReceived, _time.GetTimestamp());
            _consumerBusy = false;
        }
    }

    private DisconnectInfo? HandleControlFrame(in TetherFrame frame, ILinkHandler handler)
    {
        switch (frame.Type)
        {
            case FrameType.Ping:
                using (var scope = Transport.BeginSend(inline: true))
                {
                    if (scope.CanSend)
                    {
                        FrameWriter.WritePong(scope.Writer, frame.ReadUInt64Body());
                        _metrics.FramesSent.Add(1);
                    }
                }

                Volatile.Write(ref _lastSent, _time.GetTimestamp());
                return null;
            case FrameType.Pong:
                OnPong(frame.ReadUInt64Body(), handler);
                return null;
            case FrameType.Close:
                var info = DisconnectInfo.FromCloseFrame(CloseFrame.Parse(frame));
                TrySetCloseInfo(info);
                return info;
            case FrameType.GoAway:
                return handler.OnGoAway(GoAwayFrame.Parse(frame));
            case FrameType.Ack:
                var session = Session ?? throw new TetherProtocolException(CloseCode.ProtocolError, "ACK on a connection without a session");
                session.OnAck(this, frame.ReadUInt64Body());
                return null;
            case FrameType.Hello or FrameType.Welcome:
                throw new TetherProtocolException(CloseCode.ProtocolError, $"unexpected {frame.Type} frame after the handshake");
            default:
                // Extension frames (0x40-0x7F) this side does not know are skipped, as the protocol requires.
                return null;
        }
    }

    private void SendPing(long now)
    {
        using (var scope = Transport.BeginSend())
        {
            if (!scope.CanSend)
            {
                return;
            }

            FrameWriter.WritePing(scope.Writer, (ulong)now);
        }

        Volatile.Write(ref _lastPingSent, now);
        Volatile.Write(ref _lastSent, now);
        _metrics.PingsSent.Add(1);
        _metrics.FramesSent.Add(1);
    }

    private void OnPong(ulong value, ILinkHandler handler)
    {
        _metrics.PongsReceived.Add(1);
        var sent = Volatile.Read(ref _lastPingSent);
        if ((long)value == sent && sent != 0)
        {
            var rtt = _time.GetElapsedTime(sent);
            _metrics.RoundTripTime.Record(rtt.TotalMilliseconds);
            handler.OnRoundTrip(rtt);
        }
    }

    private async Task ShutdownAfterFlushAsync()
    {
        await Transport.FlushAsync().ConfigureAwait(false);
        Transport.Shutdown();
    }

    private long ToTicks(TimeSpan time) => (long)(time.TotalSeconds * _time.TimestampFrequency);
}
