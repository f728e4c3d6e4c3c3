using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Tether.Diagnostics;
using Tether.Heartbeat;
using Tether.Protocol;
using Tether.Transport;

namespace Tether.Client;

/// <summary>
/// One connection of a <see cref="TetherClient"/>: connect, handshake, then a receive loop and a heartbeat loop until
/// the connection ends. The client makes a new one for every attempt.
/// </summary>
[SuppressMessage("Reliability", "CA1001", Justification = "The token source has no timer; late Close calls may still observe its token, so it is never disposed.")]
internal sealed class ClientConnection
{
    private readonly SocketTransport _transport;
    private readonly TimeProvider _time;
    private readonly TetherMetrics _metrics;
    private readonly CancellationTokenSource _closed = new();
    private DisconnectInfo? _closeInfo;
    private long _lastSent;
    private long _lastReceived;
    private long _lastPingSent;
    private readonly int _peerMaxFrame;
    private volatile bool _consumerBusy;
    private volatile bool _gracefulClose;

    private ClientConnection(SocketTransport transport, EndPoint endPoint, WelcomeFrame welcome, TimeProvider time, TetherMetrics metrics)
    {
        _transport = transport;
        _time = time;
        _metrics = metrics;
        EndPoint = endPoint;
        Welcome = welcome;
        Heartbeat = new HeartbeatSettings(TimeSpan.FromMilliseconds(welcome.HeartbeatIntervalMs), TimeSpan.FromMilliseconds(welcome.HeartbeatTimeoutMs));
        _peerMaxFrame = (int)Math.Min(welcome.MaxFrameSize, int.MaxValue - 64);
        _lastSent = _lastReceived = ConnectedAt = time.GetTimestamp();
    }

    public long ConnectedAt { get; }

    public EndPoint EndPoint { get; }

    public WelcomeFrame Welcome { get; }

    public HeartbeatSettings Heartbeat { get; }

    public int PendingBytes => _transport.PendingBytes;

    /// <summary>Raised with each round-trip time measured.</summary>
    public Action<TimeSpan>? RoundTripMeasured { get; set; }

    /// <summary>Raised when the server sends GOAWAY with an alternate endpoint.</summary>
    public Action<EndPoint>? AlternateEndpoint { get; set; }

    /// <summary>
    /// Connects and completes the handshake within <see cref="TetherClientOptions.ConnectTimeout"/>. Throws
    /// <see cref="TetherException"/> carrying the close code when the server refuses, or a socket/timeout error.
    /// </summary>
    public static async Task<ClientConnection> ConnectAsync(EndPoint endPoint, TetherClientOptions options, TimeProvider time, TetherMetrics metrics, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.ConnectTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            try
            {
                await socket.ConnectAsync(endPoint, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new TetherException($"connecting to {Describe(endPoint)} timed out after {options.ConnectTimeout.TotalSeconds:0.###} s");
            }
            catch (SocketException ex)
            {
                throw new TetherException($"cannot connect to {Describe(endPoint)}: {Explain(ex)}", ex);
            }

            SocketTuning.Apply(socket, options.Tcp);
            var transport = new SocketTransport(socket, ProtocolConstants.HeaderSize + ProtocolConstants.HandshakeMaxBodySize);
            using var abortOnTimeout = linked.Token.Register(static s => ((Socket)s!).Dispose(), socket);
            using (var scope = transport.BeginSend())
            {
                NewHello(options).Write(scope.Writer);
            }

            var welcome = await ReadWelcomeAsync(transport, endPoint).ConfigureAwait(false);
            if (timeout.IsCancellationRequested)
            {
                throw new TetherException($"handshake with {Describe(endPoint)} timed out after {options.ConnectTimeout.TotalSeconds:0.###} s");
            }

            transport.SetMaxReceiveBuffer(ProtocolConstants.HeaderSize + options.MaxFrameSize);
            return new ClientConnection(transport, endPoint, welcome, time, metrics);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            socket.Dispose();
            cancellationToken.ThrowIfCancellationRequested();

            var what = timeout.IsCancellationRequested ? $"timed out after {options.ConnectTimeout.TotalSeconds:0.###} s" : ex.Message;
            throw new TetherException($"handshake with {Describe(endPoint)} failed: {what}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Runs until the connection ends; returns why. Messages go to <paramref name="inbox"/>.</summary>
    public async Task<DisconnectInfo> RunAsync(ChannelWriter<ReadOnlyMemory<byte>> inbox, int maxFrameSize)
    {
        var heartbeat = HeartbeatLoopAsync();
        DisconnectInfo? ended = null;
        try
        {
            ended = await ReceiveLoopAsync(inbox, maxFrameSize).ConfigureAwait(false);
        }
        catch (TetherProtocolException ex)
        {
            Close(new DisconnectInfo(DisconnectReason.ProtocolError, ex.Code, ex.Message), ex.Code, ex.Message, immediate: false);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            ended = new DisconnectInfo(DisconnectReason.ConnectionLost, null, ex.Message);
        }
        catch (OperationCanceledException)
        {
            ended = new DisconnectInfo(DisconnectReason.ClosedLocally, null, "closed");
        }

        TrySetCloseInfo(ended ?? new DisconnectInfo(DisconnectReason.ConnectionLost, null, "connection ended"));
        if (_gracefulClose)
        {
            // Our CLOSE is on its way: let the server read it and close its side (bounded by the linger timer).
            await _transport.DiscardUntilEndAsync().ConfigureAwait(false);
        }

        await _closed.CancelAsync().ConfigureAwait(false);
        _transport.Abort();
        _transport.ReleaseReceiveBuffer();
        await heartbeat.ConfigureAwait(false);
        return _closeInfo!;
    }

    /// <summary>Queues a message; Full when over <paramref name="pendingLimit"/>; Closed when the connection is gone.</summary>
    public SendResult TrySend(ReadOnlySpan<byte> message, int pendingLimit)
    {
        if (message.Length + 16 > _peerMaxFrame)
        {
            throw new ArgumentException($"a message of {message.Length} bytes exceeds the server's frame limit of {_peerMaxFrame} bytes", nameof(message));
        }

        using (var scope = _transport.BeginSend(inline: true))
        {
            if (!scope.CanSend || _closeInfo is not null)
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
        return SendResult.Queued;
    }

    public Task FlushAsync() => _transport.FlushAsync();

    /// <summary>Closes with CLOSE <paramref name="code"/>; waits for the server's FIN up to the linger time unless immediate.</summary>
    public void Close(DisconnectInfo info, CloseCode code, string reason, bool immediate, TimeSpan? linger = null)
    {
        if (!TrySetCloseInfo(info))
        {
            return;
        }

        using (var scope = _transport.BeginSend(inline: true))
        {
            if (scope.CanSend)
            {
                new CloseFrame { Code = code, Reason = reason }.Write(scope.Writer);
            }
        }

        _gracefulClose = !immediate;
        _ = immediate ? ShutdownAfterFlushAsync() : ShutdownThenAbortAsync(linger ?? TimeSpan.FromSeconds(2));
    }

    private static HelloFrame NewHello(TetherClientOptions options) => new()
    {
        HeartbeatIntervalMs = options.HeartbeatInterval is { } interval ? (uint)Math.Clamp(interval.TotalMilliseconds, 1, uint.MaxValue) : 0,
        HeartbeatTimeoutMs = options.HeartbeatTimeout is { } timeout ? (uint)Math.Clamp(timeout.TotalMilliseconds, 1, uint.MaxValue) : 0,
        MaxFrameSize = (uint)options.MaxFrameSize,
        ClientId = options.ClientId ?? string.Empty,
        Token = options.Token,
    };

    private static async Task<WelcomeFrame> ReadWelcomeAsync(SocketTransport transport, EndPoint endPoint)
    {
        while (true)
        {
            var data = await transport.ReceiveAsync().ConfigureAwait(false);
            if (data.IsEmpty)
            {
                throw new TetherException($"{Describe(endPoint)} closed the connection during the handshake");
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
                        throw new TetherException($"{Describe(endPoint)} chose protocol version {welcome.Version}, which this client does not speak", CloseCode.UnsupportedVersion);
                    }

                    return welcome;
                case FrameType.Close:
                    var close = CloseFrame.Parse(frame);
                    var reason = close.Reason.Length > 0 ? close.Reason : close.Code.ToWireName();
                    throw new TetherException($"{Describe(endPoint)} refused the connection: {reason} ({(ushort)close.Code} {close.Code.ToWireName()})", close.Code)
                    {
                        Data = { ["retryAfterMs"] = close.RetryAfterMs },
                    };
                default:
                    throw new TetherProtocolException(CloseCode.ProtocolError, $"expected WELCOME, got {frame.Type}");
            }
        }
    }

    private async Task<DisconnectInfo?> ReceiveLoopAsync(ChannelWriter<ReadOnlyMemory<byte>> inbox, int maxFrameSize)
    {
        var data = _transport.Buffered;
        while (true)
        {
            if (data.IsEmpty)
            {
                data = await _transport.ReceiveAsync().ConfigureAwait(false);
            }

            if (data.IsEmpty)
            {
                return new DisconnectInfo(DisconnectReason.ConnectionLost, null, "the server closed the connection");
            }

            Volatile.Write(ref _lastReceived, _time.GetTimestamp());
            _metrics.BytesReceived.Add(data.Length);
            var buffer = new ReadOnlySequence<byte>(data);
            var frames = 0;
            while (TetherFrame.TryRead(ref buffer, maxFrameSize, out var frame))
            {
                frames++;
                if (frame.Type == FrameType.Data)
                {
                    var message = DataFrame.Parse(frame).Payload.ToArray();
                    _metrics.MessagesReceived.Add(1);
                    if (!inbox.TryWrite(message))
                    {
                        await DeliverSlowlyAsync(inbox, message).ConfigureAwait(false);
                    }

                    continue;
                }

                if (HandleControlFrame(frame) is { } ended)
                {
                    return ended;
                }
            }

            _metrics.FramesReceived.Add(frames);
            _transport.Consume(data.Length - (int)buffer.Length);
            data = ReadOnlyMemory<byte>.Empty;
        }
    }

    private async Task DeliverSlowlyAsync(ChannelWriter<ReadOnlyMemory<byte>> inbox, ReadOnlyMemory<byte> message)
    {
        // The application is not reading: stop reading the socket (back-pressure) without the heartbeat blaming the server.
        _consumerBusy = true;
        try
        {
            await inbox.WriteAsync(message, _closed.Token).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _lastReceived, _time.GetTimestamp());
            _consumerBusy = false;
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

                Volatile.Write(ref _lastSent, _time.GetTimestamp());
                return null;
            case FrameType.Pong:
                OnPong(frame.ReadUInt64Body());
                return null;
            case FrameType.GoAway:
                return OnGoAway(GoAwayFrame.Parse(frame));
            case FrameType.Close:
                var info = DisconnectInfo.FromCloseFrame(CloseFrame.Parse(frame));
                TrySetCloseInfo(info);
                return info;
            case FrameType.Ack:
                return null;
            case FrameType.Hello or FrameType.Welcome:
                throw new TetherProtocolException(CloseCode.ProtocolError, $"unexpected {frame.Type} frame from the server");
            default:
                return null;
        }
    }

    private DisconnectInfo OnGoAway(GoAwayFrame goAway)
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

        // Nothing is in flight at this level, so leave now rather than at the end of the drain.
        Close(info, CloseCode.Normal, "going away", immediate: false);
        return info;
    }

    private void OnPong(ulong value)
    {
        _metrics.PongsReceived.Add(1);
        var sent = Volatile.Read(ref _lastPingSent);
        if ((long)value == sent && sent != 0)
        {
            var rtt = _time.GetElapsedTime(sent);
            _metrics.RoundTripTime.Record(rtt.TotalMilliseconds);
            RoundTripMeasured?.Invoke(rtt);
        }
    }

    private async Task HeartbeatLoopAsync()
    {
        var interval = (long)(Heartbeat.Interval.TotalSeconds * _time.TimestampFrequency);
        var timeout = (long)(Heartbeat.Timeout.TotalSeconds * _time.TimestampFrequency);
        try
        {
            while (!_closed.IsCancellationRequested)
            {
                var now = _time.GetTimestamp();
                var lastReceived = _consumerBusy ? now : Volatile.Read(ref _lastReceived);
                switch (LivenessRule.Evaluate(now, Volatile.Read(ref _lastSent), lastReceived, interval, timeout, out var next))
                {
                    case LivenessVerdict.Dead:
                        _metrics.HeartbeatTimeouts.Add(1);
                        var silence = _time.GetElapsedTime(lastReceived, now);
                        Close(new DisconnectInfo(DisconnectReason.HeartbeatTimeout, CloseCode.HeartbeatTimeout, $"nothing received from the server for {silence.TotalSeconds:0.###} s"), CloseCode.HeartbeatTimeout, "heartbeat timeout", immediate: true);
                        return;
                    case LivenessVerdict.SendPing:
                        SendPing(now);
                        break;
                }

                var wait = TimeSpan.FromSeconds(Math.Max(next - now, 1) / (double)_time.TimestampFrequency);
                await Task.Delay(wait, _time, _closed.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void SendPing(long now)
    {
        using (var scope = _transport.BeginSend(inline: true))
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
    }

    private bool TrySetCloseInfo(DisconnectInfo info) => Interlocked.CompareExchange(ref _closeInfo, info, null) is null;

    private async Task ShutdownAfterFlushAsync()
    {
        await _transport.FlushAsync().WaitAsync(TimeSpan.FromMilliseconds(200), _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _transport.Shutdown();
    }

    private async Task ShutdownThenAbortAsync(TimeSpan linger)
    {
        // Half-close so the server reads our CLOSE, then give it a moment to close its side before we drop the socket.
        await _transport.ShutdownSendAsync().WaitAsync(linger, _time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            await Task.Delay(linger, _time, _closed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _transport.Abort();
    }

    internal static string Describe(EndPoint endPoint) => endPoint switch
    {
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endPoint.ToString() ?? "?",
    };

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
