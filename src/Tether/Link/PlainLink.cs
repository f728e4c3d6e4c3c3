using System.Buffers;
using Tether.Diagnostics;
using Tether.Heartbeat;
using Tether.Protocol;
using Tether.Transport;

namespace Tether.Link;

/// <summary>
/// A connection whose peer does not speak the Tether protocol: a framing cuts what arrives into messages and frames
/// what we send. There is no handshake, no CLOSE frame (the framing may have a farewell) and no PING of the peer's own;
/// liveness is that any inbound byte proves the peer alive, with an optional probe to make a quiet peer answer.
/// </summary>
internal sealed class PlainLink : ConnectionLink
{
    private readonly PlainLinkSettings _settings;

    /// <summary>See <see cref="PlainLinkSettings.FramingIsBuiltIn"/>.</summary>
    public bool FramingIsBuiltIn => _settings.FramingIsBuiltIn;
    private readonly long _idleTicks;
    private readonly long _probeTicks;
    private long _lastProbe;

    public PlainLink(SocketTransport transport, TimeProvider time, TetherMetrics metrics, PlainLinkSettings settings)
        : base(transport, time, metrics)
    {
        _settings = settings;
        _idleTicks = ToTicks(settings.IdleTimeout);
        _probeTicks = ToTicks(settings.ProbeInterval);
        Heartbeat = new HeartbeatSettings(settings.ProbeInterval, settings.IdleTimeout);
        transport.SetMaxReceiveBuffer(settings.Framing.MaxFrameLength);
    }

    /// <inheritdoc/>
    public override SendResult TrySendData(ReadOnlySpan<byte> message, int pendingLimit)
    {
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

            // A framing throws before writing anything when the message cannot be framed (IFraming's contract).
            _settings.Framing.Write(message, scope.Writer);
        }

        MarkSent();
        CountMessagesSent(1);
        Metrics.FramesSent.Add(1);
        Metrics.MessagesSent.Add(1);
        return SendResult.Queued;
    }

    /// <summary>Applies <see cref="IdleRule"/>: a probe after each interval of inbound silence, dead after the idle timeout.</summary>
    public override LivenessVerdict CheckLiveness(long now, out long nextDue, out TimeSpan silence)
    {
        var lastReceived = LastReceivedForLiveness(now);
        silence = Time.GetElapsedTime(lastReceived, now);
        var verdict = IdleRule.Evaluate(now, lastReceived, Volatile.Read(ref _lastProbe), _idleTicks, _probeTicks, out nextDue);
        if (verdict == LivenessVerdict.SendPing)
        {
            SendProbe(now);
        }
        else if (verdict == LivenessVerdict.Dead)
        {
            Metrics.HeartbeatTimeouts.Add(1);
        }

        return verdict;
    }

    /// <inheritdoc/>
    protected override void WriteClose(IBufferWriter<byte> writer, CloseCode code, string reason, uint retryAfterMs) =>
        _settings.Framing.WriteFarewell(code, reason, writer);

    /// <inheritdoc/>
    protected override DisconnectInfo EndOfStream() =>
        // A plain peer has no CLOSE frame: closing its side is how it says goodbye.
        new(DisconnectReason.ClosedByPeer, null, "the peer closed the connection");

    /// <inheritdoc/>
    protected override ParseResult ParseFrames(ReadOnlyMemory<byte> data, ILinkHandler handler, bool controlOnly, out int consumed, out ValueTask pending, out DisconnectInfo? ended)
    {
        pending = default;
        ended = null;
        var result = ParseResult.Done;
        var framing = _settings.Framing;

        // Any byte proves the peer alive: plain peers have no heartbeat of their own to wait for.
        var now = Time.GetTimestamp();
        BatchClock.Enter(Time, now);
        MarkReceived(now);
        var buffer = new ReadOnlySequence<byte>(data);
        var messages = 0;
        while (true)
        {
            var unread = buffer;
            var before = buffer.Length;
            if (!framing.TryRead(ref buffer, out var message))
            {
                break;
            }

            if (buffer.Length >= before)
            {
                throw new InvalidOperationException($"framing '{framing.Name}' returned a message without consuming any input");
            }

            if (IsKeepAlive(message))
            {
                continue;
            }

            if (controlOnly)
            {
                buffer = unread;
                result = ParseResult.NeedsApplication;
                break;
            }

            messages++;
            pending = handler.OnDataAsync(message);
            if (!pending.IsCompletedSuccessfully)
            {
                result = ParseResult.HandlerPending;
                break;
            }
        }

        if (result == ParseResult.Done && buffer.Length >= framing.MaxFrameLength)
        {
            // The framing should have refused this from its header; the buffer's bound holds either way.
            throw new TetherProtocolException(CloseCode.FrameTooLarge, $"{buffer.Length} bytes without a complete {framing.Name} frame (limit {framing.MaxFrameLength})");
        }

        Metrics.FramesReceived.Add(messages);
        Metrics.MessagesReceived.Add(messages);
        CountMessagesReceived(messages);
        consumed = data.Length - (int)buffer.Length;
        handler.OnReceived(messages, consumed, now);
        return result;
    }

    private static bool Matches(in ReadOnlySequence<byte> message, ReadOnlySpan<byte> expected) =>
        message.Length == expected.Length && new SequenceReader<byte>(message).IsNext(expected);

    /// <summary>Answers a ping and swallows a pong; true when <paramref name="message"/> was either.</summary>
    private bool IsKeepAlive(in ReadOnlySequence<byte> message)
    {
        if (!_settings.Ping.IsEmpty && Matches(message, _settings.Ping.Span))
        {
            using (var scope = Transport.BeginSend())
            {
                if (scope.CanSend)
                {
                    scope.Writer.Write(_settings.EncodedPong.Span);
                }
            }

            MarkSent();
            Metrics.FramesSent.Add(1);
            return true;
        }

        if (!_settings.Pong.IsEmpty && Matches(message, _settings.Pong.Span))
        {
            Metrics.PongsReceived.Add(1);
            return true;
        }

        return false;
    }

    private void SendProbe(long now)
    {
        // Inline, as PeerLink's PING: a non-blocking send never makes the wheel wait.
        using (var scope = Transport.BeginSend())
        {
            if (!scope.CanSend)
            {
                return;
            }

            scope.Writer.Write(_settings.EncodedProbe.Span);
        }

        Volatile.Write(ref _lastProbe, now);
        MarkSent(now);
        Metrics.PingsSent.Add(1);
        Metrics.FramesSent.Add(1);
    }
}
