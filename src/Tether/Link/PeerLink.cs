using System.Buffers;
using Tether.Diagnostics;
using Tether.Heartbeat;
using Tether.Protocol;
using Tether.Sessions;
using Tether.Transport;

namespace Tether.Link;

/// <summary>
/// The part of a Tether connection that is the same on both sides once the handshake is done: sending DATA and PING,
/// answering PING, measuring RTT, reading frames and dispatching them, and closing with a CLOSE frame. The server's
/// <c>TetherConnection</c> and the client's <c>ClientConnection</c> each own one and add what is theirs (handshake,
/// registry and wheel; reconnect and inbox).
/// </summary>
internal sealed partial class PeerLink : ConnectionLink
{
    private long _lastPingSent;
    private long _intervalTicks;
    private long _timeoutTicks;
    private int _peerMaxFrame = ProtocolConstants.HandshakeMaxBodySize;
    private int _maxInboundFrame = ProtocolConstants.HandshakeMaxBodySize;

    public PeerLink(SocketTransport transport, TimeProvider time, TetherMetrics metrics)
        : base(transport, time, metrics)
    {
    }


    /// <summary>Completes the handshake: the agreed heartbeat and the frame limits of both directions.</summary>
    public void Establish(HeartbeatSettings heartbeat, int peerMaxFrame, int maxInboundFrame)
    {
        Heartbeat = heartbeat;
        _intervalTicks = ToTicks(heartbeat.Interval);
        _timeoutTicks = ToTicks(heartbeat.Timeout);
        _peerMaxFrame = peerMaxFrame;
        _maxInboundFrame = maxInboundFrame;
        Transport.SetMaxReceiveBuffer(ProtocolConstants.HeaderSize + maxInboundFrame);
        ResetClocks();
    }

    /// <inheritdoc/>
    public override SendResult TrySendData(ReadOnlySpan<byte> message, int pendingLimit)
    {
        // Without a session the DATA body is the message itself, so the peer's limit is the message's (section 4.5).
        if (message.Length > _peerMaxFrame)
        {
            throw new ArgumentException($"a message of {message.Length} bytes exceeds the peer's frame limit of {_peerMaxFrame} bytes", nameof(message));
        }

        using (var scope = Transport.BeginSend())
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

        MarkSent();
        CountMessagesSent(1);
        Metrics.FramesSent.Add(1);
        Metrics.MessagesSent.Add(1);
        return SendResult.Queued;
    }

    /// <summary>Queues a control frame written by <paramref name="write"/> (e.g. GOAWAY) unless the link is closing.</summary>
    public void SendControl<TFrame>(TFrame frame, Action<TFrame, IBufferWriter<byte>> write)
    {
        using var scope = Transport.BeginSend();
        if (scope.CanSend && !IsClosing)
        {
            write(frame, scope.Writer);
            Metrics.FramesSent.Add(1);
        }
    }

    /// <summary>Applies <see cref="LivenessRule"/>: PING after sending nothing for the interval, dead after receiving nothing for the timeout.</summary>
    public override LivenessVerdict CheckLiveness(long now, out long nextDue, out TimeSpan silence)
    {
        var lastReceived = LastReceivedForLiveness(now);
        silence = Time.GetElapsedTime(lastReceived, now);
        var verdict = LivenessRule.Evaluate(now, LastSent, lastReceived, _intervalTicks, _timeoutTicks, out nextDue);
        if (verdict == LivenessVerdict.SendPing)
        {
            SendPing(now);
        }
        else if (verdict == LivenessVerdict.Dead)
        {
            Metrics.HeartbeatTimeouts.Add(1);
        }

        return verdict;
    }

    /// <inheritdoc/>
    protected override bool CanCarry(int frameLength) => frameLength - ProtocolConstants.HeaderSize <= _peerMaxFrame;

    /// <summary>A graceful close tells the peer what we received, so it need not resend it on resume.</summary>
    protected override void OnClosing() => FlushAck(force: true, 0);

    /// <inheritdoc/>
    protected override void WriteClose(IBufferWriter<byte> writer, CloseCode code, string reason, uint retryAfterMs)
    {
        new CloseFrame { Code = code, Reason = reason, RetryAfterMs = retryAfterMs }.Write(writer);
        Metrics.FramesSent.Add(1);
    }

    /// <inheritdoc/>
    protected override DisconnectInfo EndOfStream() => new(DisconnectReason.ConnectionLost, null, "the peer closed the connection");

    /// <inheritdoc/>
    protected override ParseResult ParseFrames(ReadOnlyMemory<byte> data, ILinkHandler handler, bool controlOnly, out int consumed, out ValueTask pending, out DisconnectInfo? ended)
    {
        pending = default;
        ended = null;
        var result = ParseResult.Done;
        var frames = 0;
        var messages = 0;
        var offset = 0;

        // One clock read per batch, for the session's ack deadline, the liveness clock and the rate limits.
        var now = Time.GetTimestamp();
        BatchClock.Enter(Time, now);
        while (TryCutFrame(data, offset, out var frame))
        {
            if (frame.Type == FrameType.Data && controlOnly)
            {
                result = ParseResult.NeedsApplication;
                break;
            }

            offset += frame.EncodedLength;
            frames++;
            if (frame.Type == FrameType.Data)
            {
                var dataFrame = DataFrame.Parse(frame);
                if (!Accept(dataFrame, handler, now))
                {
                    continue;
                }

                messages++;
                pending = handler.OnDataAsync(dataFrame.Payload);
                if (!pending.IsCompletedSuccessfully)
                {
                    result = ParseResult.HandlerPending;
                    break;
                }
            }
            else if (HandleControlFrame(frame, handler) is { } info)
            {
                ended = info;
                result = ParseResult.Ended;
                break;
            }
        }

        if (frames > 0)
        {
            // Only complete frames prove the peer alive (protocol section 8.2): a peer trickling the bytes of a frame it
            // never finishes is as dead as a silent one.
            MarkReceived(now);
        }

        Metrics.FramesReceived.Add(frames);
        Metrics.MessagesReceived.Add(messages);
        CountMessagesReceived(messages);
        consumed = offset;
        handler.OnReceived(frames, consumed, now);
        return result;
    }

    /// <summary>
    /// The complete frame at <paramref name="offset"/> of <paramref name="data"/>, if there is one. Cut from the memory
    /// of one receive directly: slicing a sequence for every frame costs more than the rest of handling a small one.
    /// </summary>
    private bool TryCutFrame(ReadOnlyMemory<byte> data, int offset, out TetherFrame frame)
    {
        var rest = data[offset..];
        if (!FrameHeader.TryRead(new ReadOnlySequence<byte>(rest), _maxInboundFrame, out var header)
            || rest.Length < ProtocolConstants.HeaderSize + header.BodyLength)
        {
            frame = default;
            return false;
        }

        frame = new TetherFrame(header, new ReadOnlySequence<byte>(rest.Slice(ProtocolConstants.HeaderSize, header.BodyLength)));
        return true;
    }

    private DisconnectInfo? HandleControlFrame(in TetherFrame frame, ILinkHandler handler)
    {
        switch (frame.Type)
        {
            case FrameType.Ping:
                using (var scope = Transport.BeginSend())
                {
                    if (scope.CanSend)
                    {
                        FrameWriter.WritePong(scope.Writer, frame.ReadUInt64Body());
                        Metrics.FramesSent.Add(1);
                    }
                }

                MarkSent();
                return null;
            case FrameType.Pong:
                OnPong(frame.ReadUInt64Body(), handler);
                return null;
            case FrameType.Close:
                var info = ReadClose(frame);
                TrySetCloseInfo(info);
                return info;
            case FrameType.GoAway:
                return handler.OnGoAway(GoAwayFrame.Parse(frame));
            case FrameType.Ack:
                var session = _session ?? throw new TetherProtocolException(CloseCode.ProtocolError, "ACK on a connection without a session");
                var ack = frame.ReadUInt64Body();
                if (session.OnAck(_sessionAttachment, ack) == AckOutcome.BeyondLastSent)
                {
                    throw AckBeyondLastSent(ack, session);
                }

                return null;
            case FrameType.Hello or FrameType.Welcome:
                throw new TetherProtocolException(CloseCode.ProtocolError, $"unexpected {frame.Type} frame after the handshake");
            default:
                // Extension frames (0x40-0x7F) this side does not know are skipped, as the protocol requires.
                return null;
        }
    }

    /// <summary>
    /// Why the peer closed. A CLOSE that cannot be decoded is never answered (protocol section 2.5): the peer has already
    /// stopped reading, so the link just ends, and a client reconnects as after a PROTOCOL_ERROR.
    /// </summary>
    private static DisconnectInfo ReadClose(in TetherFrame frame)
    {
        try
        {
            return DisconnectInfo.FromCloseFrame(CloseFrame.Parse(frame));
        }
        catch (TetherProtocolException ex)
        {
            return DisconnectInfo.MalformedClose(ex.Message);
        }
    }

    private void SendPing(long now)
    {
        // Inline: the socket is non-blocking, so this never waits, and the frame's buffer goes back to the pool on this
        // thread instead of thousands of connections' buffers being rented at once when a heartbeat tick fires.
        using (var scope = Transport.BeginSend())
        {
            if (!scope.CanSend)
            {
                return;
            }

            FrameWriter.WritePing(scope.Writer, (ulong)now);
        }

        Volatile.Write(ref _lastPingSent, now);
        MarkSent(now);
        Metrics.PingsSent.Add(1);
        Metrics.FramesSent.Add(1);
    }

    private void OnPong(ulong value, ILinkHandler handler)
    {
        Metrics.PongsReceived.Add(1);
        var sent = Volatile.Read(ref _lastPingSent);
        if ((long)value == sent && sent != 0)
        {
            var rtt = Time.GetElapsedTime(sent);
            Metrics.RoundTripTime.Record(rtt.TotalMilliseconds);
            handler.OnRoundTrip(rtt);
        }
    }
}
