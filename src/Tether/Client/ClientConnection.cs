using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Tether.Diagnostics;
using Tether.Heartbeat;
using Tether.Link;
using Tether.Protocol;
using Tether.Transport;
using Tether.Transport.Tls;

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

    private ClientConnection(SocketTransport transport, EndPoint endPoint, WelcomeFrame welcome, TetherClientOptions options, TimeProvider time, TetherMetrics metrics)
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

    /// <summary>Raised when the server sends GOAWAY with an alternate endpoint.</summary>
    public Action<EndPoint>? AlternateEndpoint { get; set; }

    /// <summary>Binds the local address only; the port is left to connect, so binding does not use up ports early.</summary>
    private static void BindLocal(Socket socket, IPAddress address)
    {
        if (OperatingSystem.IsLinux() && address.AddressFamily == AddressFamily.InterNetwork)
        {
            // IP_BIND_ADDRESS_NO_PORT (24): without it every bind reserves an ephemeral port for the address.
            socket.SetRawSocketOption((int)SocketOptionLevel.IP, 24, BitConverter.GetBytes(1));
        }

        socket.Bind(new IPEndPoint(address, 0));
    }

    /// <summary>
    /// Connects and completes the handshake within <see cref="TetherClientOptions.ConnectTimeout"/>. Throws
    /// <see cref="TetherException"/> carrying the close code when the server refuses, or a socket/timeout error.
    /// </summary>
    public static async Task<ClientConnection> ConnectAsync(EndPoint endPoint, HelloFrame hello, TetherClientOptions options, TimeProvider time, TetherMetrics metrics, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        SocketTransport? transport = null;
        try
        {
            try
            {
                if (options.LocalAddress is { } localAddress)
                {
                    BindLocal(socket, localAddress);
                }

                await socket.ConnectAsync(endPoint, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TetherException($"connecting to {EndPointText.Format(endPoint)} timed out after {options.ConnectTimeout.TotalSeconds:0.###} s");
            }
            catch (SocketException ex)
            {
                throw new TetherException($"cannot connect to {EndPointText.Format(endPoint)}: {Explain(ex)}", ex);
            }

            SocketTuning.Apply(socket, options.Tcp);
            var transportSocket = socket;
            if (options.Tls is { } tls)
            {
                transportSocket = await ConnectTlsAsync(socket, ForEndPoint(tls, endPoint), endPoint, time, options.CloseLinger, linked.Token).ConfigureAwait(false);
            }

            transport = new SocketTransport(transportSocket, ProtocolConstants.HeaderSize + ProtocolConstants.HandshakeMaxBodySize, metrics, transportSocket == socket ? null : socket);
            using var abortOnTimeout = linked.Token.Register(static s => ((SocketTransport)s!).Abort(), transport);
            using (var scope = transport.BeginSend())
            {
                hello.Write(scope.Writer);
            }

            var welcome = await ReadWelcomeAsync(transport, endPoint).ConfigureAwait(false);
            if (timeout.IsCancellationRequested)
            {
                throw new TetherException($"handshake with {EndPointText.Format(endPoint)} timed out after {options.ConnectTimeout.TotalSeconds:0.###} s");
            }

            return new ClientConnection(transport, endPoint, welcome, options, time, metrics);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            Close(socket, transport);
            cancellationToken.ThrowIfCancellationRequested();

            var what = timeout.IsCancellationRequested ? $"timed out after {options.ConnectTimeout.TotalSeconds:0.###} s" : ex.Message;
            throw new TetherException($"handshake with {EndPointText.Format(endPoint)} failed: {what}", ex);
        }
        catch
        {
            Close(socket, transport);
            throw;
        }
    }

    /// <summary>
    /// The TLS handshake. A certificate the client refuses (or a server that refuses the client's) ends the attempts with
    /// AUTH_FAILED: trying again would meet the same certificate. A network failure during the handshake is retried.
    /// </summary>
    private static async Task<Socket> ConnectTlsAsync(Socket socket, SslClientAuthenticationOptions tls, EndPoint endPoint, TimeProvider time, TimeSpan linger, CancellationToken cancellationToken)
    {
        try
        {
            return await TlsTunnel.ConnectClientAsync(socket, tls, time, linger, cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationException ex)
        {
            throw new TetherException($"TLS handshake with {EndPointText.Format(endPoint)} failed: {ex.Message}", CloseCode.AuthFailed, ex);
        }
    }

    /// <summary>The TLS options with the name to verify defaulted to the endpoint's host, as a browser would.</summary>
    private static SslClientAuthenticationOptions ForEndPoint(SslClientAuthenticationOptions tls, EndPoint endPoint) => tls.TargetHost is not null
        ? tls
        : new SslClientAuthenticationOptions
        {
            TargetHost = endPoint switch
            {
                DnsEndPoint dns => dns.Host,
                IPEndPoint ip => ip.Address.ToString(),
                _ => null,
            },
            RemoteCertificateValidationCallback = tls.RemoteCertificateValidationCallback,
            LocalCertificateSelectionCallback = tls.LocalCertificateSelectionCallback,
            ClientCertificates = tls.ClientCertificates,
            ClientCertificateContext = tls.ClientCertificateContext,
            EnabledSslProtocols = tls.EnabledSslProtocols,
            CertificateRevocationCheckMode = tls.CertificateRevocationCheckMode,
            CertificateChainPolicy = tls.CertificateChainPolicy,
            ApplicationProtocols = tls.ApplicationProtocols,
            AllowRenegotiation = tls.AllowRenegotiation,
            AllowTlsResume = tls.AllowTlsResume,
        };

    /// <summary>A transport also leaves the readiness engine when it closes; a bare socket only needs disposing.</summary>
    private static void Close(Socket socket, SocketTransport? transport)
    {
        if (transport is null)
        {
            socket.Dispose();
        }
        else
        {
            transport.Abort();
        }
    }

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

    DisconnectInfo ILinkHandler.OnGoAway(GoAwayFrame goAway)
    {
        foreach (var item in goAway.Extensions)
        {
            if (item.Key == ProtocolConstants.AlternateEndpointExtension
                && EndPointText.TryParse(Encoding.UTF8.GetString(item.Value.Span), out var alternate))
            {
                AlternateEndpoint?.Invoke(alternate);
                break;
            }
        }

        var info = new DisconnectInfo(DisconnectReason.GoingAway, CloseCode.GoingAway, goAway.Reason.Length > 0 ? goAway.Reason : "server going away")
        {
            RetryAfter = TimeSpan.FromMilliseconds(goAway.RetryAfterMs),
        };

        // Nothing is in flight at this level, so leave now rather than at the end of the server's drain.
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

    private static async Task<WelcomeFrame> ReadWelcomeAsync(SocketTransport transport, EndPoint endPoint)
    {
        while (true)
        {
            var data = await transport.ReceiveAsync().ConfigureAwait(false);
            if (data.IsEmpty)
            {
                throw new TetherException($"{EndPointText.Format(endPoint)} closed the connection during the handshake");
            }

            var buffer = new ReadOnlySequence<byte>(data);
            if (!TetherFrame.TryRead(ref buffer, ProtocolConstants.HandshakeMaxBodySize, out var frame))
            {
                transport.Consume(0);
                continue;
            }

            switch (frame.Type)
            {
                case FrameType.Welcome:
                    var welcome = WelcomeFrame.Parse(frame);
                    transport.Consume(frame.EncodedLength);
                    if (welcome.Version != ProtocolConstants.Version)
                    {
                        throw new TetherException($"{EndPointText.Format(endPoint)} chose protocol version {welcome.Version}, which this client does not speak", CloseCode.UnsupportedVersion);
                    }

                    return welcome;
                case FrameType.Close:
                    var close = CloseFrame.Parse(frame);
                    var reason = close.Reason.Length > 0 ? close.Reason : close.Code.ToWireName();
                    throw new TetherException($"{EndPointText.Format(endPoint)} refused the connection: {reason} ({(ushort)close.Code} {close.Code.ToWireName()})", close.Code)
                    {
                        RetryAfter = close.RetryAfterMs > 0 ? TimeSpan.FromMilliseconds(close.RetryAfterMs) : null,
                    };
                default:
                    throw new TetherProtocolException(CloseCode.ProtocolError, $"expected WELCOME, got {frame.Type}");
            }
        }
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
            var info = new DisconnectInfo(DisconnectReason.HeartbeatTimeout, CloseCode.HeartbeatTimeout, $"nothing received from the server for {silence.TotalSeconds:0.###} s");
            _link.BeginClose(info, CloseCode.HeartbeatTimeout, "heartbeat timeout", 0, immediate: true);
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

    private static string Explain(SocketException ex) => ex.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostNotFound or SocketError.NoData => "host not found",
        SocketError.TimedOut => "timed out",
        SocketError.NetworkUnreachable => "network unreachable",
        SocketError.HostUnreachable => "host unreachable",
        _ => ex.Message,
    };
}
