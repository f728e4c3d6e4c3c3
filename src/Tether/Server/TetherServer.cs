using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Diagnostics;
using Tether.Heartbeat;
using Tether.Protocol;
using Tether.Sessions;
using Tether.Transport.Tls;

namespace Tether.Server;

/// <summary>
/// A Tether server: listens on one or more endpoints, runs the handshake and heartbeat for every connection, keeps the
/// registry, pushes to one connection, one client id or everyone, and stops gracefully (GOAWAY, drain, close).
/// </summary>
public sealed class TetherServer : IAsyncDisposable
{
    private readonly List<ServerListener> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopCompleted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly AddressConnectionCounts? _perAddress;
    private readonly AddressRateLimiter? _attempts;
    private readonly PeakMemoryReturn? _memoryReturn;
    private BroadcastPass? _broadcastPass;
    private BroadcastPass? _broadcastHelper;
    private long _nextConnectionId;
    private int _started;
    private int _stopped;

    /// <summary>Creates a server; call <see cref="StartAsync"/> to listen.</summary>
    public TetherServer(TetherServerOptions options, TetherServerHandler handler, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        options.Validate();
        Options = options;
        Handler = handler;
        TimeProvider = timeProvider ?? TimeProvider.System;
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Tether.Server");
        Log = new ServerLog(logger, TimeProvider);
        Metrics = new TetherMetrics(TetherMeterNames.Server);
        Wheel = new TimingWheel(options.WheelTick(), TimeProvider, logger);
        Sessions = new SessionRegistry(options.Sessions.RememberedLostSessions);
        SessionSettings = new SessionSettings(options.Sessions, TimeProvider);
        _perAddress = options.MaxConnectionsPerAddress < int.MaxValue ? new AddressConnectionCounts() : null;
        var rates = options.RateLimits;
        _attempts = rates.ConnectionsPerAddressPerSecond > 0 ? new AddressRateLimiter(TimeProvider, rates.ConnectionsPerAddressPerSecond, rates.ConnectionCapacity) : null;
        _memoryReturn = options.ReturnMemoryAfterPeak
            ? new PeakMemoryReturn(() => Connections.Count + Sessions.Count, PeakMemoryReturn.CollectAggressively, OnMemoryReturned, TimeProvider)
            : null;
    }

    /// <summary>The settings this server runs with.</summary>
    public TetherServerOptions Options { get; }

    /// <summary>The live connections.</summary>
    public ConnectionRegistry Connections { get; } = new();

    /// <summary>The reliable sessions held, attached or detached.</summary>
    public SessionRegistry Sessions { get; }

    /// <summary>What every session of this server shares.</summary>
    internal SessionSettings SessionSettings { get; }

    /// <summary>The endpoints actually bound (port 0 resolved), once started.</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints => [.. _listeners.Select(l => l.EndPoint)];

    /// <summary>The server's instruments, on its own meter named <see cref="TetherMeterNames.Server"/>.</summary>
    internal TetherMetrics Metrics { get; }

    internal TetherServerHandler Handler { get; }

    internal TimeProvider TimeProvider { get; }

    internal ServerLog Log { get; }

    /// <summary>True once <see cref="StopAsync"/> has begun: new handshakes are turned away with GOING_AWAY.</summary>
    internal bool IsStopping => Volatile.Read(ref _stopped) == 1;

    internal TimingWheel Wheel { get; }

    internal ServerListener ListenerAt(int index) => _listeners[index];

    internal int ListenerCount => _listeners.Count;

    /// <summary>From this many connections and sessions on, a broadcast sends from two threads (<see cref="BroadcastPass"/>); tests lower it.</summary>
    internal int ParallelBroadcastThreshold { get; set; } = 2_048;

    /// <summary>
    /// Binds every endpoint (<see cref="TetherServerOptions.EndPoints"/>, then <see cref="TetherServerOptions.Listeners"/>)
    /// and starts accepting. Throws <see cref="TetherException"/> with a one-line message when an
    /// endpoint cannot be bound (for example, the port is in use).
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("the server is already started");
        }

        cancellationToken.ThrowIfCancellationRequested();
        try
        {
            foreach (var options in Options.AllListeners())
            {
                var socket = Bind(options.EndPoint);
                try
                {
                    _listeners.Add(new ServerListener(options, socket, Options.Heartbeat, _listeners.Count));
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }
        }
        catch
        {
            foreach (var listener in _listeners)
            {
                listener.Dispose();
            }

            _listeners.Clear();
            throw;
        }

        if (Options.Sessions.Enabled)
        {
            // Session ids come from the system's cryptographic generator, whose first use loads the crypto library
            // (megabytes of code): pay that at start, not on the first client's handshake.
            _ = SessionId.NewRandom();
        }

        Wheel.Start();
        _memoryReturn?.Start();
        foreach (var listener in _listeners)
        {
            Log.Listening(listener.EndPoint, listener.Options.Tls is null ? listener.Options.FramingName : listener.Options.FramingName + " over TLS");
            _acceptLoops.Add(AcceptLoopAsync(listener));
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Sends <paramref name="message"/> to <paramref name="clientId"/>: through its connection, or, while it is
    /// reconnecting, into its detached session (delivered on resume). False if the client id has neither.
    /// </summary>
    public async ValueTask<bool> SendToClientAsync(string clientId, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (Connections.TryGetByClientId(clientId, out var connection))
        {
            await connection.SendAsync(message, cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (Sessions.TryGetByClientId(clientId, out var session) && !session.IsLost)
        {
            await session.SendAsync(message, cancellationToken).ConfigureAwait(false);
            return true;
        }

        return false;
    }

    /// <summary>
    /// Sends <paramref name="message"/> to every open connection and every session (detached sessions get it on
    /// resume). It never waits for anyone. Without a session, the frame is encoded once per listener (once for the
    /// Tether protocol, once per plain framing) and the same bytes are copied into each connection's queue; a connection over <see cref="TetherServerOptions.MaxPendingOutboundBytes"/> is
    /// closed as a slow consumer. A session whose replay buffer is full gets the slow-consumer policy
    /// (<see cref="ServerSessionOptions.SlowConsumerPolicy"/>). A connection that announced a smaller maximum frame
    /// size than the message needs is skipped, with a warning and a metric. From 2,048 connections and sessions on (and
    /// with more than one core) the work is split between the calling thread and one pool thread, since each copy is
    /// mostly the kernel's send. Returns how many connections and sessions the message was accepted for.
    /// </summary>
    public int Broadcast(ReadOnlySpan<byte> message)
    {
        var frameLength = FrameWriter.DataLength(message.Length);
        var frame = ArrayPool<byte>.Shared.Rent(frameLength);
        var caller = Interlocked.Exchange(ref _broadcastPass, null) ?? new BroadcastPass(this);
        var helper = Connections.Count + Sessions.Count >= ParallelBroadcastThreshold && Environment.ProcessorCount > 1
            ? Interlocked.Exchange(ref _broadcastHelper, null) ?? new BroadcastPass(this)
            : null;
        try
        {
            var headerLength = FrameWriter.WriteDataHeader(frame, message.Length, DataFlags.None, 0, 0);
            message.CopyTo(frame.AsSpan(headerLength));
            var connections = Connections.Slots;
            var sessions = Sessions.Slots;
            if (helper is null)
            {
                caller.Prepare(frame, headerLength, message.Length, connections, .., sessions, ..);
                caller.Run();
            }
            else
            {
                // Halves of the slot arrays, not of the entries: a table is at most half full and its entries spread
                // by hash, so each half holds about half of them.
                var connectionHalf = connections.Length / 2;
                var sessionHalf = sessions.Length / 2;
                helper.Prepare(frame, headerLength, message.Length, connections, connectionHalf.., sessions, sessionHalf..);
                helper.Start();
                caller.Prepare(frame, headerLength, message.Length, connections, ..connectionHalf, sessions, ..sessionHalf);
                try
                {
                    caller.Run();
                }
                finally
                {
                    // The helper reads the pooled frame: it must be done before the frame goes back.
                    helper.Join();
                }
            }

            var connectionsDelivered = caller.ConnectionsDelivered + (helper?.ConnectionsDelivered ?? 0);
            var tooLarge = caller.TooLarge + (helper?.TooLarge ?? 0);
            Metrics.MessagesSent.Add(connectionsDelivered);
            Metrics.FramesSent.Add(connectionsDelivered);
            if (tooLarge > 0)
            {
                // Not silent: the count comes back short, and the log and metric say why.
                Metrics.LimitRejections.Add(tooLarge, new KeyValuePair<string, object?>("limit", "peer-max-frame-size"));
                Log.BroadcastTooLarge(message.Length, tooLarge);
            }

            return connectionsDelivered + caller.SessionsDelivered + (helper?.SessionsDelivered ?? 0);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(frame);
            Volatile.Write(ref _broadcastPass, caller);
            if (helper is not null)
            {
                Volatile.Write(ref _broadcastHelper, helper);
            }
        }
    }

    /// <summary>
    /// Stops gracefully: stops accepting, sends GOAWAY (with a jittered retry-after) to every client, waits up to
    /// <see cref="TetherServerOptions.ShutdownDrainTimeout"/> for them to leave, then closes the rest with GOING_AWAY.
    /// Cancelling <paramref name="cancellationToken"/> cuts the drain short.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            await _stopCompleted.Task.ConfigureAwait(false);
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in _listeners)
        {
            listener.Dispose();
        }

        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);

        var drain = Options.ShutdownDrainTimeout;
        var count = 0;
        var plainClosed = 0;
        foreach (var connection in Connections)
        {
            if (connection.IsPlain)
            {
                // A plain peer cannot be told to come back later; it is closed now, after what was queued for it.
                connection.BeginClose(new DisconnectInfo(DisconnectReason.GoingAway, CloseCode.GoingAway, "server stopped"), CloseCode.GoingAway, "server shutting down", 0, immediate: false);
                plainClosed++;
                continue;
            }

            connection.SendGoAway(new GoAwayFrame
            {
                RetryAfterMs = NextRetryAfterMs(),
                DrainMs = (uint)drain.TotalMilliseconds,
                Reason = "server shutting down",
            });
            count++;
        }

        Metrics.GoAwaysSent.Add(count);
        Log.Stopping(count, plainClosed, drain.TotalMilliseconds);
        CheckAllClosed();
        try
        {
            await _allClosed.Task.WaitAsync(drain, TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
        }

        var forced = 0;
        foreach (var connection in Connections)
        {
            connection.BeginClose(new DisconnectInfo(DisconnectReason.GoingAway, CloseCode.GoingAway, "server stopped"), CloseCode.GoingAway, "server stopped", NextRetryAfterMs(), immediate: false);
            forced++;
        }

        // Every connection is now closing and is dropped at the latest one linger time later; whatever is still
        // there after twice that is aborted, so a stop always ends.
        try
        {
            await _allClosed.Task.WaitAsync(Options.CloseLinger + Options.CloseLinger, TimeProvider, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            foreach (var connection in Connections)
            {
                connection.Abort();
            }

            await _allClosed.Task.WaitAsync(Options.CloseLinger, TimeProvider, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        Log.Stopped(forced);
        _memoryReturn?.Dispose();
        await Wheel.DisposeAsync().ConfigureAwait(false);
        _stopCompleted.TrySetResult();
    }

    /// <summary>Stops (GOAWAY without waiting for a drain, if not stopped yet) and releases everything.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _started) == 1)
        {
            using var noDrain = new CancellationTokenSource();
            await noDrain.CancelAsync().ConfigureAwait(false);
            await StopAsync(noDrain.Token).ConfigureAwait(false);
        }

        Metrics.Dispose();
        _stopping.Dispose();
        Interlocked.Exchange(ref _broadcastPass, null)?.Dispose();
        Interlocked.Exchange(ref _broadcastHelper, null)?.Dispose();
    }

    /// <summary>A retry-after hint spread per client: the base plus a uniform share of the jitter.</summary>
    internal uint NextRetryAfterMs() =>
        (uint)(Options.GoAwayRetryAfter + (Options.GoAwayRetryJitter * Random.Shared.NextDouble())).TotalMilliseconds;

    internal void OnHandshakeCompleted(TetherConnection connection)
    {
        if (connection.ClientId is not null)
        {
            BindClientId(connection);
        }

        Metrics.ConnectionsActive.Add(1);
        Log.Connected(connection);
    }

    /// <summary>Makes <paramref name="connection"/> the holder of its client id; an earlier holder is closed with REPLACED.</summary>
    internal void BindClientId(TetherConnection connection)
    {
        if (Connections.BindClientId(connection) is { } previous)
        {
            Log.Replaced(previous, connection);
            previous.BeginClose(new DisconnectInfo(DisconnectReason.Replaced, CloseCode.Replaced, $"replaced by connection #{connection.Id}"), CloseCode.Replaced, "replaced by a newer connection with the same client id", 0, immediate: false);
        }
    }

    internal void OnConnectionClosed(TetherConnection connection, DisconnectInfo info, bool wasOpen)
    {
        // The address's slot is given back before the connection leaves the registry: whoever sees it gone (the
        // application, a test, an operator) may connect again at once and must not be refused for it.
        if (_perAddress is not null && AddressConnectionCounts.AddressOf(connection.RemoteEndPoint) is { } address)
        {
            _perAddress.Release(address);
        }

        Connections.Remove(connection);

        if (wasOpen)
        {
            Metrics.ConnectionsActive.Add(-1);
            Metrics.ConnectionsClosed.Add(1, new KeyValuePair<string, object?>("reason", info.ReasonName));
            Log.Disconnected(connection, info);
        }

        CheckAllClosed();
    }

    private void OnMemoryReturned(MemoryReturned returned)
    {
        Metrics.MemoryReturns.Add(1);
        Metrics.MemoryReturned.Add(Math.Max(0, returned.CommittedBefore - returned.CommittedAfter));
        Log.MemoryReturned(returned);
    }

    private void CheckAllClosed()
    {
        if (Volatile.Read(ref _stopped) == 1 && Connections.Count == 0)
        {
            _allClosed.TrySetResult();
        }
    }

    /// <summary>Closes a connection that cannot keep up (outbound queue or session buffer over its limit).</summary>
    internal void CloseSlowConsumer(TetherConnection connection, int pending, int limit)
    {
        if (connection.State != ConnectionState.Open)
        {
            return;
        }

        Metrics.LimitRejections.Add(1, new KeyValuePair<string, object?>("limit", connection.Session is null ? "max-pending-outbound-bytes" : "max-unacknowledged-bytes"));
        Log.SlowConsumer(connection, pending);
        connection.BeginClose(new DisconnectInfo(DisconnectReason.SlowConsumer, CloseCode.SlowConsumer, $"{pending} bytes pending, limit {limit}"), CloseCode.SlowConsumer, "slow consumer", 0, immediate: true);
    }

    /// <summary>Discards a session: it accepts nothing more, a resume learns why, and the handler hears of it (once).</summary>
    internal void LoseSession(TetherSession session, SessionLostReason reason, string description, int refusedMessages = 0)
    {
        var info = session.Core.MarkLost(reason, session.ClientId, null, description, keepPayloads: false, out _);
        if (!Sessions.Remove(session, info.Reason, info.UnacknowledgedSent + refusedMessages))
        {
            return;
        }

        session.Retire();
        if (reason == SessionLostReason.Expired && info.UnacknowledgedSent == 0 && refusedMessages == 0)
        {
            // The client left and never came back, and nothing it was sent is missing: the session ended, nothing was
            // lost. (A late resume still hears EXPIRED with a lost count of 0.) Under churn this is the common case.
            Metrics.SessionsExpired.Add(1);
            Log.SessionExpired(info);
            return;
        }

        ReportSessionLost(refusedMessages > 0 ? info with { UnacknowledgedSent = info.UnacknowledgedSent + refusedMessages } : info);
    }

    /// <summary>Counts, logs and hands a lost session to the handler, off the caller's thread.</summary>
    internal void ReportSessionLost(SessionLostInfo info)
    {
        Metrics.SessionsLost.Add(1, new KeyValuePair<string, object?>("reason", info.Reason.ToString()));
        Log.SessionLost(info);
        ThreadPool.UnsafeQueueUserWorkItem(
            static state => _ = state.Server.RaiseSessionLostAsync(state.Info),
            (Server: this, Info: info),
            preferLocal: false);
    }

    private async Task RaiseSessionLostAsync(SessionLostInfo info)
    {
        try
        {
            await Handler.OnSessionLostAsync(info).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.SessionHandlerFailed(ex);
        }
    }

    private Socket Bind(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endPoint);
            socket.Listen(Options.ListenBacklog);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            var why = ex.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => "the address is already in use",
                SocketError.AddressNotAvailable => "the address is not available on this machine",
                SocketError.AccessDenied => "permission denied",
                _ => ex.Message,
            };
            throw new TetherException($"cannot listen on {endPoint}: {why}", ex);
        }
    }

    private async Task AcceptLoopAsync(ServerListener listener)
    {
        var endPoint = listener.EndPoint;
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.Socket.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted)
            {
                return;
            }
            catch (SocketException ex)
            {
                // Transient (e.g. out of file descriptors): log, back off briefly, keep accepting.
                Log.AcceptFailed(endPoint, ex);
                await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider, CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            Admit(socket, listener);
        }
    }

    private void Admit(Socket socket, ServerListener listener)
    {
        // Cheapest refusals first: a flood is turned away before it costs a connection object or a TLS handshake.
        if (_attempts is not null && !_attempts.TryAcquire(socket.RemoteEndPoint))
        {
            Metrics.LimitRejections.Add(1, new KeyValuePair<string, object?>("limit", "connection-rate-per-address"));
            Log.ConnectionRateLimit(Options.RateLimits.ConnectionsPerAddressPerSecond, socket.RemoteEndPoint);
            Refuse(socket, listener, CloseCode.RateLimited, "too many connection attempts from this address");
            return;
        }

        if (Connections.Count >= Options.MaxConnections)
        {
            Metrics.LimitRejections.Add(1, new KeyValuePair<string, object?>("limit", "max-connections"));
            Log.ConnectionLimit(Options.MaxConnections, socket.RemoteEndPoint);
            Refuse(socket, listener, CloseCode.TooManyConnections, "connection limit reached");
            return;
        }

        var address = _perAddress is null ? null : AddressConnectionCounts.AddressOf(socket.RemoteEndPoint);
        if (address is not null && !_perAddress!.TryAcquire(address, Options.MaxConnectionsPerAddress))
        {
            Metrics.LimitRejections.Add(1, new KeyValuePair<string, object?>("limit", "max-connections-per-address"));
            Log.AddressConnectionLimit(Options.MaxConnectionsPerAddress, socket.RemoteEndPoint);
            Refuse(socket, listener, CloseCode.TooManyConnections, "connection limit for this address reached");
            return;
        }

        TetherConnection connection;
        TlsTunnel? tunnel = null;
        var transportSocket = socket;
        try
        {
            if (listener.Options.Tls is not null)
            {
                tunnel = TlsTunnel.ForServer(socket, TimeProvider, Options.CloseLinger, out transportSocket);
            }

            connection = new TetherConnection(this, transportSocket, tunnel is null ? null : socket, Interlocked.Increment(ref _nextConnectionId), listener);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // The peer left while it was being admitted (or descriptors ran out): nothing to keep, and accepting goes on.
            if (address is not null)
            {
                _perAddress!.Release(address);
            }

            tunnel?.Dispose();
            transportSocket.Dispose();
            socket.Dispose();
            return;
        }

        tunnel?.Start(listener.Options.Tls!, OnTlsHandshakeFailed);

        Connections.Add(connection);
        Metrics.ConnectionsAccepted.Add(1, new KeyValuePair<string, object?>("framing", listener.Options.FramingName));
        _ = connection.RunAsync(socket);
    }

    private void OnTlsHandshakeFailed(Exception ex)
    {
        Metrics.HandshakeFailures.Add(1, new KeyValuePair<string, object?>("reason", "tls"));
        Log.TlsHandshakeFailed(ex.GetBaseException().Message);
    }

    private static void Refuse(Socket socket, ServerListener listener, CloseCode code, string reason)
    {
        // Best effort: tell the peer why, then close. The buffer is tiny and the socket is new, so this never blocks long.
        // A TLS peer could not read a plaintext CLOSE, and a TLS handshake is the work being shed: it is only closed.
        try
        {
            if (listener.Options.Tls is not null)
            {
                return;
            }

            var writer = new ArrayBufferWriter<byte>(64);
            if (listener.Plain is { } plain)
            {
                plain.Framing.WriteFarewell(code, reason, writer);
            }
            else
            {
                new CloseFrame { Code = code, RetryAfterMs = 1000, Reason = reason }.Write(writer);
            }

            socket.Send(writer.WrittenSpan, SocketFlags.None);
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }
}
