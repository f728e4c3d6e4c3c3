using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Cluster;
using Tether.Diagnostics;
using Tether.Heartbeat;
using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Server;

/// <summary>
/// A Tether server: listens on one or more endpoints, runs the handshake and heartbeat for every connection, keeps the
/// registry, pushes to one connection, one client id or everyone, and stops gracefully (GOAWAY, drain, close).
/// </summary>
/// <remarks>
/// The public face and the wiring: listening and accepting are <see cref="Acceptor"/>'s, admission
/// <see cref="ConnectionAdmission"/>'s (TLS set-up in <see cref="ConnectionOpener"/>), broadcasting
/// <see cref="Broadcaster"/>'s, the drain of a stop <see cref="ShutdownDrain"/>'s and ending sessions
/// <see cref="SessionLossReporter"/>'s. Connections and sessions call back through the internal members here.
/// </remarks>
public sealed partial class TetherServer : IAsyncDisposable
{
    private readonly Acceptor _acceptor;
    private readonly ConnectionOpener _opener;
    private readonly ConnectionAdmission _admission;
    private readonly Broadcaster _broadcaster;
    private readonly ShutdownDrain _shutdown;
    private readonly SessionLossReporter _sessionLoss;
    private readonly PeakMemoryReturn? _memoryReturn;
    private readonly GroupTable _groups = new();
    private readonly DateTimeOffset _startedAt;
    private int _started;

    // A single node has no configured name: presence calls it this.
    private const string SingleNodeName = "local";

    /// <summary>Creates a server; call <see cref="StartAsync"/> to listen.</summary>
    public TetherServer(TetherServerOptions options, TetherServerHandler handler, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        options.Validate();
        Options = options;
        Handler = handler;
        TimeProvider = timeProvider ?? TimeProvider.System;
        _startedAt = TimeProvider.GetUtcNow();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Tether.Server");
        Log = new ServerLog(logger, TimeProvider);
        Metrics = new TetherMetrics(TetherMeterNames.Server, options.MeterFactory);
        Wheel = new TimingWheel(options.WheelTick(), TimeProvider, logger);
        Sessions = new SessionRegistry(options.Sessions.RememberedLostSessions);
        SessionSettings = new SessionSettings(options.Sessions, TimeProvider);
        _acceptor = new Acceptor(Log, TimeProvider);
        _opener = new ConnectionOpener(this);
        _admission = new ConnectionAdmission(this, _opener);
        _broadcaster = new Broadcaster(this);
        _shutdown = new ShutdownDrain(this);
        _sessionLoss = new SessionLossReporter(this);
        Cluster = options.ScaleOut is { } scaleOut ? new Cluster.ClusterNode(scaleOut, TimeProvider) : null;
        Routing = Cluster is not null ? new ClusterRouting(this, Cluster) : null;
        SessionStore = Cluster is null ? Tether.Cluster.InMemorySessionStore.Instance : new Tether.Cluster.RedisSessionStore(this, Cluster);
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

    /// <summary>This server as a node of a cluster; null for a single node.</summary>
    internal Cluster.ClusterNode? Cluster { get; }

    /// <summary>The cluster routing, groups and presence of this node; null for a single node.</summary>
    internal ClusterRouting? Routing { get; }
    /// <summary>Where sessions are kept beyond this process (Redis in a cluster; nowhere for a single node).</summary>
    internal Cluster.SessionStore SessionStore { get; }

    /// <summary>The endpoints actually bound (port 0 resolved), once started.</summary>
    public IReadOnlyList<IPEndPoint> LocalEndPoints => _acceptor.EndPoints;

    /// <summary>The server's instruments, on its own meter named <see cref="TetherMeterNames.Server"/>.</summary>
    internal TetherMetrics Metrics { get; }

    internal TetherServerHandler Handler { get; }

    /// <summary>A TLS handshake failed on its own (not ended by the handshake deadline or a stop).</summary>
    internal void OnTlsHandshakeFailed(Exception ex) => _opener.OnTlsHandshakeFailed(ex);

    /// <summary>The transport new connections get now (for tests of the engine's failure).</summary>
    internal Transport.TransportKind CurrentTransport => _opener.CurrentTransport;

    internal TimeProvider TimeProvider { get; }

    internal ServerLog Log { get; }

    /// <summary>True once <see cref="StopAsync"/> has begun: new handshakes are turned away with GOING_AWAY.</summary>
    internal bool IsStopping => _shutdown.HasBegun;

    internal TimingWheel Wheel { get; }

    internal ServerListener ListenerAt(int index) => _acceptor[index];

    internal int ListenerCount => _acceptor.Count;

    /// <summary>From this many connections and sessions on, a broadcast sends from two threads (<see cref="BroadcastPass"/>); tests lower it.</summary>
    internal int ParallelBroadcastThreshold
    {
        get => _broadcaster.ParallelThreshold;
        set => _broadcaster.ParallelThreshold = value;
    }

    /// <summary>
    /// Binds every endpoint (<see cref="TetherServerOptions.EndPoints"/>, then <see cref="TetherServerOptions.Listeners"/>)
    /// and starts accepting. Throws <see cref="TetherException"/> with a one-line message when an
    /// endpoint cannot be bound (for example, the port is in use).
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("the server is already started");
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (Cluster is not null)
        {
            await Cluster.StartAsync().ConfigureAwait(false);
            await Routing!.StartAsync().ConfigureAwait(false);
            await SessionStore.StartAsync().ConfigureAwait(false);
        }

        _acceptor.BindAll(Options);
        if (Options.Sessions.Enabled)
        {
            // Session ids come from the system's cryptographic generator, whose first use loads the crypto library
            // (megabytes of code): pay that at start, not on the first client's handshake.
            _ = SessionId.NewRandom();
        }

        Wheel.Start();
        _memoryReturn?.Start();
        _acceptor.StartAccepting(_admission);
    }

    /// <summary>
    /// Sends <paramref name="message"/> to <paramref name="clientId"/>: through its connection, or, while it is
    /// reconnecting, into its detached session (delivered on resume), or, in a cluster, through the node it is connected
    /// to. False if the client id has none of these. In a cluster, true means the message is stored in the client's
    /// session in Redis (or, for a client without a session, queued on its connection), so that a node's death does
    /// not lose it; it throws <see cref="TetherException"/> when Redis is not connected or does not answer within
    /// <see cref="ScaleOutOptions.OperationTimeout"/>, and when no node took the message within
    /// <see cref="ScaleOutOptions.RemoteSendTimeout"/> (never true for a message no node took).
    /// </summary>
    public async ValueTask<bool> SendToClientAsync(string clientId, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (Connections.TryGetByClientId(clientId, out var connection))
        {
            await connection.SendAsync(message, cancellationToken).ConfigureAwait(false);
            return true;
        }

        if (Sessions.TryGetByClientId(clientId, out var session) && !session.IsLost && session.Core.Persistence is not Cluster.SessionRecord { IsActive: false })
        {
            await session.SendAsync(message, cancellationToken).ConfigureAwait(false);
            return true;
        }

        // Elsewhere in the cluster, or a session that waits in Redis (also one this node is handing back right now).
        return Routing is not null && await Routing.Pushes.SendAsync(clientId, message, cancellationToken).ConfigureAwait(false);
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
    /// <remarks>
    /// In a cluster the message is appended to the cluster's broadcast log and published in one Redis call, without
    /// waiting, and every node, this one included, delivers it when it comes back: all nodes deliver broadcasts in the
    /// same order, and a session that resumes on another node gets the broadcasts it missed, once. The count is then
    /// this node's connections at the call. While Redis is not connected, the message goes to this node's connections
    /// only (sessions refuse it, as it cannot be stored), and the failure is logged and counted.
    /// </remarks>
    public int Broadcast(ReadOnlySpan<byte> message)
    {
        if (Routing is null)
        {
            return _broadcaster.Send(message);
        }

        if (!Routing.Calls.IsConnected)
        {
            Routing.PublishBroadcastRefused();
            return _broadcaster.Send(message);
        }

        Routing.PublishBroadcast(message);
        return Connections.Count;
    }

    /// <summary>
    /// As <see cref="Broadcast"/>, and in a cluster waits until Redis took the message: throws
    /// <see cref="TetherException"/> when Redis is not connected or does not answer within
    /// <see cref="ScaleOutOptions.OperationTimeout"/> (then no node delivers it). Returns this node's count.
    /// </summary>
    public async Task<int> BroadcastAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        if (Routing is null)
        {
            return _broadcaster.Send(message.Span);
        }

        Routing.Calls.EnsureConnected("broadcast");
        await Routing.PublishBroadcastAsync(message, cancellationToken).ConfigureAwait(false);
        return Connections.Count;
    }

    /// <summary>
    /// Stops gracefully: turns <see cref="IsDraining"/> true, keeps serving for <see cref="TetherServerOptions.LameDuckDelay"/>,
    /// stops accepting, sends GOAWAY (with a jittered retry-after) to every client in even batches over
    /// <see cref="TetherServerOptions.GoAwaySpread"/>, waits until <see cref="TetherServerOptions.ShutdownDrainTimeout"/>
    /// after the first GOAWAY for them to leave, then closes the rest with GOING_AWAY. Cancelling
    /// <paramref name="cancellationToken"/> (a second signal) cuts the delay, the spread and the drain short.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (!_shutdown.TryBegin())
        {
            await _shutdown.Completed.ConfigureAwait(false);
            return;
        }

        await _shutdown.LameDuckAsync(cancellationToken).ConfigureAwait(false);
        await _acceptor.StopAcceptingAsync().ConfigureAwait(false);
        await _shutdown.DrainAsync(cancellationToken).ConfigureAwait(false);
        _memoryReturn?.Dispose();
        await Wheel.DisposeAsync().ConfigureAwait(false);
        _shutdown.SetCompleted();
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

        if (Cluster is not null)
        {
            if (Volatile.Read(ref _started) == 1)
            {
                await Routing!.DisposeAsync().ConfigureAwait(false);
            }

            await SessionStore.DisposeAsync().ConfigureAwait(false);
            await Cluster.DisposeAsync().ConfigureAwait(false);
        }

        _opener.Dispose();
        Metrics.Dispose();
        _acceptor.Dispose();
        _broadcaster.Dispose();
        _shutdown.Dispose();
    }

    /// <summary>Delivers a message to this node's connections and sessions only (a broadcast from another node).</summary>
    /// <summary>Delivers cluster broadcast <paramref name="id"/> (its position in the broadcast log) to this node's connections and sessions.</summary>
    internal int DeliverClusterBroadcast(ReadOnlySpan<byte> message, ulong id) => _broadcaster.Send(message, id);

    /// <summary>Delivers a message, encoded once, to this node's connections (or sessions) of the given client ids.</summary>
    internal int DeliverToClients(ReadOnlySpan<byte> message, IReadOnlyList<string> clientIds) => _broadcaster.SendToClients(message, clientIds);

    /// <summary>
    /// For tests: dies as a process would, without any cleanup: stops accepting, writes nothing more to Redis, aborts
    /// every socket and drops the Redis connection. Dispose it afterwards.
    /// </summary>
    internal async Task KillForTestingAsync()
    {
        await _acceptor.StopAcceptingAsync().ConfigureAwait(false);
        SessionStore.Kill();
        foreach (var connection in Connections)
        {
            connection.Abort();
        }

        if (Cluster is not null)
        {
            await Cluster.Redis.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
        }
    }

    /// <summary>A retry-after hint spread per client: the base plus a uniform share of the jitter.</summary>
    internal uint NextRetryAfterMs() => _shutdown.NextRetryAfterMs();

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

        // Not awaited: the handshake never waits for Redis.
        Routing?.OnBound(connection);
    }

    internal void OnConnectionClosed(TetherConnection connection, DisconnectInfo info, bool wasOpen)
    {
        // The address's slot is given back before the connection leaves the registry: whoever sees it gone (the
        // application, a test, an operator) may connect again at once and must not be refused for it.
        _admission.Release(connection);
        Connections.Remove(connection);
        if (Routing is not null && connection.ClientId is not null && wasOpen)
        {
            Routing.OnClosed(connection);
        }

        if (wasOpen)
        {
            Metrics.ConnectionsActive.Add(-1);
            Metrics.ConnectionsClosed.Add(1, new KeyValuePair<string, object?>("reason", info.ReasonName));
            Log.Disconnected(connection, info);
        }

        _shutdown.OnConnectionClosed();
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
    internal void LoseSession(TetherSession session, SessionLostReason reason, string description, int refusedMessages = 0) =>
        _sessionLoss.Lose(session, reason, description, refusedMessages);

    /// <summary>Counts, logs and hands a lost session to the handler, off the caller's thread.</summary>
    internal void ReportSessionLost(SessionLostInfo info) => _sessionLoss.Report(info);

    private void OnMemoryReturned(MemoryReturned returned)
    {
        Metrics.MemoryReturns.Add(1);
        Metrics.MemoryReturned.Add(Math.Max(0, returned.CommittedBefore - returned.CommittedAfter));
        Log.MemoryReturned(returned);
    }
}
