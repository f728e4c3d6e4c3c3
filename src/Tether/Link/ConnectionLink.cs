using System.Buffers;
using Tether.Diagnostics;
using Tether.Heartbeat;
using Tether.Protocol;
using Tether.Transport;

namespace Tether.Link;

/// <summary>
/// What every connection does with its socket whatever its peers speak: the two liveness clocks, why the link ends
/// (first reason wins), queuing encoded bytes, and closing without turning FIN into RST. <see cref="PeerLink"/> adds
/// the Tether protocol; <see cref="PlainLink"/> adds a plain framing.
/// </summary>
internal abstract partial class ConnectionLink
{
    private DisconnectInfo? _closeInfo;
    private long _lastSent;
    private long _lastReceived;
    private volatile bool _consumerBusy;
    private volatile bool _closeStartedHere;

    // Bytes already in the receive buffer that no pass has looked at yet: what came right behind the handshake, or the
    // frames behind a message whose handler had to be awaited.
    private bool _parseBufferedFirst = true;
    private int _consumeAfterHandler;

    protected ConnectionLink(SocketTransport transport, TimeProvider time, TetherMetrics metrics)
    {
        Transport = transport;
        Time = time;
        Metrics = metrics;
        _lastSent = _lastReceived = time.GetTimestamp();
    }

    public SocketTransport Transport { get; }

    /// <summary>The liveness settings in force: the agreed heartbeat, or a plain listener's probe interval and idle timeout.</summary>
    public HeartbeatSettings Heartbeat { get; protected set; }

    public DisconnectInfo? CloseInfo => Volatile.Read(ref _closeInfo);

    public bool IsClosing => Volatile.Read(ref _closeInfo) is not null;

    public long LastReceived => Volatile.Read(ref _lastReceived);

    /// <summary>True when this side started the close (as opposed to the peer, or the network, ending the link).</summary>
    public bool ClosedHere => _closeStartedHere;

    protected TimeProvider Time { get; }

    protected TetherMetrics Metrics { get; }

    protected long LastSent => Volatile.Read(ref _lastSent);

    /// <summary>The receive clock as liveness should see it: a consumer that holds up reading is not the peer's fault.</summary>
    protected long LastReceivedForLiveness(long now) => _consumerBusy ? now : Volatile.Read(ref _lastReceived);

    /// <summary>Records why the link ends; the first reason wins.</summary>
    public bool TrySetCloseInfo(DisconnectInfo info) => Interlocked.CompareExchange(ref _closeInfo, info, null) is null;

    /// <summary>Queues one application message unless the link is closing or the queue is over <paramref name="pendingLimit"/>.</summary>
    public abstract SendResult TrySendData(ReadOnlySpan<byte> message, int pendingLimit);

    /// <summary>
    /// Applies this link's liveness rule at <paramref name="now"/>: sends what keeps the peer talking (PING, probe)
    /// itself, and returns <see cref="LivenessVerdict.Dead"/> for the owner to close.
    /// </summary>
    public abstract LivenessVerdict CheckLiveness(long now, out long nextDue, out TimeSpan silence);

    /// <summary>
    /// Copies an already encoded frame (one broadcast, many links) and writes it out on the calling thread: the socket is
    /// non-blocking, so the caller never waits on it, and what the kernel will not take yet is left to an asynchronous
    /// send. No thread-pool hop per connection, and the pooled buffer goes back on the thread that rented it.
    /// </summary>
    public SendResult TrySendEncoded(ReadOnlySpan<byte> frame, int pendingLimit)
    {
        if (!CanCarry(frame.Length))
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
        MarkSent();
        CountMessagesSent(1);
        return SendResult.Queued;
    }

    /// <summary>
    /// Tells the peer why (if the wire has a way to) and starts closing: <paramref name="immediate"/> (dead peer) shuts
    /// the socket down once that is flushed; otherwise only our sending side is closed (FIN) and the peer is expected
    /// to close its side. Returns false if the link was already closing.
    /// </summary>
    public bool BeginClose(DisconnectInfo info, CloseCode code, string reason, uint retryAfterMs, bool immediate)
    {
        if (!TrySetCloseInfo(info))
        {
            return false;
        }

        _closeStartedHere = true;
        OnClosing();
        using (var scope = Transport.BeginSend())
        {
            if (scope.CanSend)
            {
                WriteClose(scope.Writer, code, reason, retryAfterMs);
            }
        }

        _ = immediate ? ShutdownAfterFlushAsync() : Transport.ShutdownSendAsync();
        return true;
    }

    /// <summary>
    /// Reads and handles whatever has arrived, without waiting: messages go to <paramref name="handler"/> in order, and
    /// the replies a batch produces (PONGs, ACKs, a handler's sends) leave in one write. Stops when the kernel has
    /// nothing more (<see cref="ReadStep.NeedData"/>), when the link ended (<paramref name="ended"/> says why, a broken
    /// connection included), or when a handler must be awaited (<paramref name="pending"/>). With
    /// <paramref name="controlOnly"/> (on the readiness engine's thread) it also stops in front of the first message for
    /// the application (<see cref="ReadStep.NeedsApplication"/>): heartbeats and acks cost no thread-pool hop. A
    /// protocol violation is thrown as <see cref="TetherProtocolException"/> for the owner to close with its code.
    /// </summary>
    public ReadStep ReadAvailable(ILinkHandler handler, bool controlOnly, out ValueTask pending, out DisconnectInfo? ended)
    {
        pending = default;
        ended = null;
        try
        {
            while (true)
            {
                ReadOnlyMemory<byte> data;
                if (_parseBufferedFirst && !Transport.Buffered.IsEmpty)
                {
                    data = Transport.Buffered;
                }
                else if (!Transport.TryReceive(out data))
                {
                    return ReadStep.NeedData;
                }
                else if (data.IsEmpty)
                {
                    ended = Ended(EndOfStream());
                    return ReadStep.Ended;
                }

                _parseBufferedFirst = false;
                ParseResult result;
                int consumed;
                Transport.Cork();
                try
                {
                    result = ParseFrames(data, handler, controlOnly, out consumed, out pending, out ended);
                }
                finally
                {
                    BatchClock.Leave();
                    Transport.Uncork();
                }

                if (result == ParseResult.HandlerPending)
                {
                    _consumeAfterHandler = consumed;
                    return ReadStep.HandlerPending;
                }

                Transport.Consume(consumed);
                if (result == ParseResult.NeedsApplication)
                {
                    _parseBufferedFirst = true;
                    return ReadStep.NeedsApplication;
                }

                if (result == ParseResult.Ended)
                {
                    ended = Ended(ended!);
                    return ReadStep.Ended;
                }
            }
        }
        catch (Exception ex) when (IsConnectionFailure(ex))
        {
            ended = Ended(new DisconnectInfo(DisconnectReason.ConnectionLost, null, ex.Message));
            return ReadStep.Ended;
        }
    }

    /// <summary>After <see cref="ReadStep.HandlerPending"/>: awaits the handler, then lets go of the bytes it was given.</summary>
    public async Task ResumeAfterHandlerAsync(ValueTask pending)
    {
        await WaitForConsumerAsync(pending).ConfigureAwait(false);
        Transport.Consume(_consumeAfterHandler);
        _consumeAfterHandler = 0;
        _parseBufferedFirst = true;
    }

    /// <summary>
    /// Reads until the link ends and returns why, awaiting readiness in between (the client's form; the server drives
    /// <see cref="ReadAvailable"/> from readiness callbacks so that an idle connection holds no state machine).
    /// </summary>
    public async Task<DisconnectInfo> RunReceiveLoopAsync(ILinkHandler handler)
    {
        while (true)
        {
            switch (ReadAvailable(handler, controlOnly: false, out var pending, out var ended))
            {
                case ReadStep.Ended:
                    return ended!;
                case ReadStep.HandlerPending:
                    await ResumeAfterHandlerAsync(pending).ConfigureAwait(false);
                    break;
                default:
                    try
                    {
                        await Transport.WaitReadableAsync().ConfigureAwait(false);
                    }
                    catch (Exception ex) when (IsConnectionFailure(ex))
                    {
                        return Ended(new DisconnectInfo(DisconnectReason.ConnectionLost, null, ex.Message));
                    }

                    break;
            }
        }
    }

    /// <summary>
    /// After the receive loop: if we started the close, read until the peer's FIN (or until the owner's linger deadline
    /// aborts the socket); if the peer closed first, let what we already queued go out (bounded by
    /// <paramref name="linger"/>).
    /// </summary>
    public async Task FinishAsync(TimeSpan linger)
    {
        if (_closeStartedHere)
        {
            await Transport.DiscardUntilEndAsync().ConfigureAwait(false);
        }
        else if (CloseInfo is { Reason: DisconnectReason.ClosedByPeer or DisconnectReason.ConnectionLost } or { Reason: DisconnectReason.ProtocolError, Code: null })
        {
            // The peer closed, with a CLOSE (a malformed one included: it has no code) or without.
            await Transport.ShutdownSendAsync().WaitAsync(linger, Time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        // Only now, with no receive pending, is disposing the socket a clean close.
        Transport.Abort();
        Transport.ReleaseReceiveBuffer();
    }

    internal static bool IsConnectionFailure(Exception exception) => SocketTransport.IsConnectionFailure(exception);

    /// <summary>
    /// Handles the complete frames at the start of <paramref name="data"/>; <paramref name="consumed"/> is how many bytes
    /// they took. Stops early when a control frame ends the link, a handler returns an unfinished task, or (with
    /// <paramref name="controlOnly"/>) in front of a message for the application.
    /// </summary>
    protected abstract ParseResult ParseFrames(ReadOnlyMemory<byte> data, ILinkHandler handler, bool controlOnly, out int consumed, out ValueTask pending, out DisconnectInfo? ended);

    /// <summary>Why the link ended when the peer closed its side without a word.</summary>
    protected abstract DisconnectInfo EndOfStream();

    /// <summary>Records <paramref name="info"/> unless an earlier reason exists, and returns the reason that stands.</summary>
    protected DisconnectInfo Ended(DisconnectInfo info)
    {
        TrySetCloseInfo(info);
        return CloseInfo!;
    }

    /// <summary>Writes what the peer reads before the link closes (a CLOSE frame, a farewell line, or nothing).</summary>
    protected abstract void WriteClose(IBufferWriter<byte> writer, CloseCode code, string reason, uint retryAfterMs);

    /// <summary>Whether a frame of <paramref name="frameLength"/> encoded bytes may be sent to this peer.</summary>
    protected virtual bool CanCarry(int frameLength) => true;

    /// <summary>Last words before <see cref="WriteClose"/>, e.g. a final ACK.</summary>
    protected virtual void OnClosing()
    {
    }

    protected void MarkSent() => Volatile.Write(ref _lastSent, BatchClock.Now(Time));

    protected void MarkSent(long now) => Volatile.Write(ref _lastSent, now);

    protected void MarkReceived() => Volatile.Write(ref _lastReceived, Time.GetTimestamp());

    protected void MarkReceived(long now) => Volatile.Write(ref _lastReceived, now);

    /// <summary>Restarts both clocks (when the handshake completes).</summary>
    protected void ResetClocks()
    {
        var now = Time.GetTimestamp();
        Volatile.Write(ref _lastSent, now);
        Volatile.Write(ref _lastReceived, now);
    }

    /// <summary>Awaits a handler that did not finish at once, without counting the pause against the peer.</summary>
    private async ValueTask WaitForConsumerAsync(ValueTask pending)
    {
        _consumerBusy = true;
        try
        {
            await pending.ConfigureAwait(false);
        }
        finally
        {
            MarkReceived();
            _consumerBusy = false;
        }
    }

    protected long ToTicks(TimeSpan time) => (long)(time.TotalSeconds * Time.TimestampFrequency);

    private async Task ShutdownAfterFlushAsync()
    {
        await Transport.FlushAsync().ConfigureAwait(false);
        Transport.Shutdown();
    }
}
