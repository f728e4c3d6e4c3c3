using System.Buffers;
using Tether.Diagnostics;
using Tether.Link;
using Tether.Protocol;
using Tether.Transport.Readiness;

namespace Tether.Server;

// Dispatch: what arrives on a connection, from readiness callbacks to the application's handler, and the close code
// for whatever goes wrong while receiving.
public sealed partial class TetherConnection
{
    /// <summary>
    /// Hands a message to the application. A handler that throws is logged and counted (<c>tether.handler.errors</c>):
    /// the message was delivered, and one bad message must not cost the client its connection or its session.
    /// </summary>
    ValueTask ILinkHandler.OnDataAsync(ReadOnlySequence<byte> payload)
    {
        if (Session?.Core.Persistence is Cluster.SessionRecord record)
        {
            record.IssueReceipt(Session.Core.LastReceived);
        }

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

    /// <summary>
    /// From the transport when bytes may have arrived. A plain listener's framing is application code (an
    /// <see cref="Tether.Framing.IFraming"/>), so it never runs on the readiness engine's thread: one slow framing must
    /// not hold up every other connection's heartbeat.
    /// </summary>
    void IReadinessReader.OnReadable()
    {
        if (Peer is null && !((PlainLink)_link).FramingIsBuiltIn)
        {
            _link.QueueWork(this);
            return;
        }

        ReadWhileAvailable(onEngineThread: true);
    }

    void ILinkWorker.RunQueued()
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
                        _link.QueueWork(this);
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
            _link.QueueWork(this);
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
}
