using Tether.Heartbeat;
using Tether.Protocol;
using Tether.Transport;

namespace Tether.Server;

// Lifetime: the timing wheel's visits (handshake deadline, liveness, the session's ack timer, close linger) and the
// end of the connection.
public sealed partial class TetherConnection
{
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
        // A violation we answered, or a malformed CLOSE (the one violation that gets no answer, so it has no code).
        if (info.Reason == DisconnectReason.ProtocolError && (_link.ClosedHere || info.Code is null))
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
}
