using System.Buffers;
using System.Net.Sockets;
using Tether.Authentication;
using Tether.Heartbeat;
using Tether.Link;
using Tether.Protocol;
using Tether.Transport;

namespace Tether.Server;

// The handshake: from the accepted socket to an open connection (HELLO, version, authentication, heartbeat).
public sealed partial class TetherConnection
{
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
            if (!await OpenTransportAsync().ConfigureAwait(false))
            {
                await FinishAsync(opened: false).ConfigureAwait(false);
                return;
            }

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

    /// <summary>
    /// The TLS handshake, if the listener has TLS, within the connection's handshake deadline (which aborts the transport
    /// and so ends it). False when it failed: a failure of its own is logged and counted (one the deadline or a stop
    /// caused already was), and the connection ends in order: FIN, then what the peer still sends is read and dropped
    /// until its FIN or the linger, because closing on unread bytes would reset the peer before it read why.
    /// </summary>
    private async Task<bool> OpenTransportAsync()
    {
        var transport = _link.Transport;
        try
        {
            await transport.OpenAsync(CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException || SocketTransport.IsConnectionFailure(ex))
        {
            if (!_link.TrySetCloseInfo(new DisconnectInfo(DisconnectReason.HandshakeRejected, null, $"TLS handshake failed: {ex.GetBaseException().Message}")))
            {
                return false;
            }

            _server.OnTlsHandshakeFailed(ex);
            _state = (int)ConnectionState.Closing;
            _deadline = Time.GetTimestamp() + ToTicks(_server.Options.CloseLinger);
            _server.Wheel.Schedule(this, _deadline);
            await transport.ShutdownSendAsync().ConfigureAwait(false);
            await transport.DiscardUntilEndAsync().ConfigureAwait(false);
            return false;
        }
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
                var failure = verdict.Code switch
                {
                    CloseCode.AuthExpired => "auth-expired",
                    CloseCode.ServerBusy => "auth-unavailable",
                    _ => "auth-failed",
                };
                var retryAfterMs = verdict.RetryAfter is { } retryAfter ? (uint)Math.Min(retryAfter.TotalMilliseconds, uint.MaxValue) : 0;
                _server.Metrics.HandshakeFailures.Add(1, new KeyValuePair<string, object?>("reason", failure));
                _server.Log.AuthenticationFailed(this, verdict.Code, verdict.Reason);
                BeginClose(new DisconnectInfo(DisconnectReason.HandshakeRejected, verdict.Code, verdict.Reason), verdict.Code, verdict.Reason, retryAfterMs, immediate: false);
                return false;
            }

            // The id comes from the credentials, never from what the peer merely claims.
            claimedId = verdict.ClientId;
        }

        var heartbeat = HeartbeatNegotiation.Decide(options.Heartbeat, hello.HeartbeatIntervalMs, hello.HeartbeatTimeoutMs);
        ClientId = claimedId;
        var peerMaxFrame = (int)Math.Min(hello.MaxFrameSize, int.MaxValue - ProtocolConstants.HeaderSize);
        link.Establish(heartbeat, peerMaxFrame, options.MaxFrameSize);
        await NegotiateSessionAsync(link, hello, peerMaxFrame).ConfigureAwait(false);
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
}
