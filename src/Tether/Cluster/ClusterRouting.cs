// Over 350 lines: the node's one inbox dispatcher (push, replace, group notices, probes) with the publish side of each
// kind, kept together so that a message kind and its handler cannot drift apart.
using System.Text;
using StackExchange.Redis;
using Tether.Protocol;
using Tether.Server;

namespace Tether.Cluster;

/// <summary>
/// The routing of a cluster node: its inbox and the broadcast channel, pushes to client ids on other nodes, the
/// replacement of a client id's connection on another node, groups (<see cref="ClusterGroups"/>), presence
/// (<see cref="NodePresence"/>, <see cref="ClientDirectory"/>), and the watch over Redis: connection lost and restored,
/// and a probe through the node's own inbox that detects and repairs a silently stalled subscription.
/// </summary>
internal sealed class ClusterRouting : IAsyncDisposable
{
    private readonly TetherServer _server;
    private readonly ClusterNode _node;
    private readonly CancellationTokenSource _stopping = new();
    private readonly RedisChannel _inbox;
    private Task _loops = Task.CompletedTask;
    private volatile bool _silenced;
    private long _lastProbeReceived;
    private long _lastReconnect;

    public ClusterRouting(TetherServer server, ClusterNode node)
    {
        _server = server;
        _node = node;
        Log = new ClusterLog(server.Log.Logger, node.Time);
        Metrics = new ClusterMetrics(server.Metrics.Meter);
        Calls = new RedisCalls(node, Log, Metrics);
        Directory = new ClientDirectory(node, server, Log, Metrics) { Registered = OnRegistered };
        Presence = new NodePresence(node, server, Directory, Calls, Log, Metrics);
        Subscriptions = new ClusterSubscriptions(node, Log);
        Groups = new ClusterGroups(this, node, server);
        Presence.DatasetLost = Groups.RewriteAsync;
        _inbox = node.Keys.NodeInbox(node.Identity.Id);

        // The inbox channel's name around the node id, so that a script can name any node's inbox.
        const string marker = "\u0001";
        var sample = node.Keys.NodeInbox(marker).ToString();
        var at = sample.IndexOf(marker, StringComparison.Ordinal);
        InboxPrefix = sample[..at];
        InboxSuffix = sample[(at + marker.Length)..];
        Pushes = new RemotePushes(server, node, this);
        Feed = new ClusterBroadcastFeed(server, node, this);
        Admin = new RemoteAdmin(server, node, this);
    }

    public ClusterLog Log { get; }

    public ClusterMetrics Metrics { get; }

    public RedisCalls Calls { get; }

    public ClientDirectory Directory { get; }

    public NodePresence Presence { get; }

    public ClusterSubscriptions Subscriptions { get; }

    public ClusterGroups Groups { get; }

    public RemotePushes Pushes { get; }

    public ClusterBroadcastFeed Feed { get; }

    public RemoteAdmin Admin { get; }

    public string InboxPrefix { get; }

    public string InboxSuffix { get; }

    /// <summary>
    /// Inbox messages of kinds routing does not handle (for another part of the node, such as the session store), on the
    /// inbox's loop: it must not block. The inbox has one subscription, so a stall repair covers them too.
    /// </summary>
    public Action<ClusterMessage>? OtherInboxMessage { get; set; }

    /// <summary>Subscribes the inbox and broadcast channel, announces the node and starts the announce and probe loops. Redis may be down.</summary>
    public async Task StartAsync()
    {
        var redis = _node.Redis;
        redis.ConnectionFailed += OnConnectionFailed;
        redis.ConnectionRestored += OnConnectionRestored;
        Log.Started(_node.Identity, _node.Options.Redis);
        _lastProbeReceived = _node.Time.GetTimestamp();
        await Feed.StartAsync().ConfigureAwait(false);
        try
        {
            await SubscribeChannelsAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Redis away at start: the channels are subscribed when the connection comes.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.Unavailable("subscribe", ex.Message);
            _ = Task.Run(SubscribeUntilDoneAsync);
        }

        await Presence.AnnounceAsync().ConfigureAwait(false);
        _loops = Task.WhenAll(
            Task.Run(() => EveryAsync(_node.Options.AnnounceInterval, Presence.AnnounceAsync)),
            Task.Run(() => EveryAsync(_node.Options.ProbeInterval, ProbeAsync)));
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loops.ConfigureAwait(false);
        _node.Redis.ConnectionFailed -= OnConnectionFailed;
        _node.Redis.ConnectionRestored -= OnConnectionRestored;
        await Presence.WithdrawAsync().ConfigureAwait(false);
        await Feed.DisposeAsync().ConfigureAwait(false);
        try
        {
            await Subscriptions.UnsubscribeAllAsync().WaitAsync(_node.Options.OperationTimeout * 10, _node.Time).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The multiplexer closes next anyway.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        _stopping.Dispose();
        Subscriptions.Dispose();
    }

    /// <summary>A connection with a client id completed its handshake (or was given one): record it, without waiting.</summary>
    public void OnBound(TetherConnection connection) => Directory.Register(connection);

    /// <summary>A connection with a client id closed: remove its entry and, unless a newer local connection holds the id, its local memberships.</summary>
    public void OnClosed(TetherConnection connection)
    {
        Directory.Unregister(connection);
        if (!_server.Connections.TryGetByClientId(connection.ClientId!, out _))
        {
            Groups.OnDisconnected(connection.ClientId!);
        }
    }

    /// <summary>Publishes a message to another node's inbox without waiting; a failure is logged and counted.</summary>
    public void PublishToNode(string nodeId, ClusterMessage message) =>
        _ = PublishAsync(RedisChannel.Literal(InboxPrefix + nodeId + InboxSuffix), message.Encode(), message.Kind);

    /// <summary>Publishes a broadcast for every node (this one too) without waiting; a failure is logged and counted.</summary>
    public void PublishBroadcast(ReadOnlySpan<byte> message) => _ = PublishBroadcastInBackgroundAsync(message.ToArray());

    /// <summary>A broadcast while Redis is not connected: only this node's connections get it (logged and counted).</summary>
    public void PublishBroadcastRefused() => PublishFailed(ClusterMessageKind.Broadcast, "not connected");

    /// <summary>Publishes a broadcast for every node (this one too) and waits for Redis to take it (fail fast).</summary>
    public Task PublishBroadcastAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        Feed.PublishAsync(message, cancellationToken);

    /// <summary>Fault hook for tests: the current subscriptions silently drop what they receive, as a stalled one would.</summary>
    internal void SimulateStalledSubscription() => Subscriptions.SimulateStall();

    /// <summary>Test hook: the node stops announcing and probing, as a crashed node would (its connections stay).</summary>
    internal void SimulateCrashForTests() => _silenced = true;

    /// <summary>
    /// After a failed subscribe at start: tries again with a doubling delay (250 ms to 5 s) until the channels are
    /// subscribed, rather than wait for a reconnect event (none comes when the connection was up but the subscribe
    /// timed out) or for the next probe.
    /// </summary>
    private async Task SubscribeUntilDoneAsync()
    {
        var delay = TimeSpan.FromMilliseconds(250);
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(delay, _node.Time, _stopping.Token).ConfigureAwait(false);
                await SubscribeChannelsAsync().ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Redis still away: the next attempt, a reconnect or a probe tries again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.Unavailable("subscribe", ex.Message);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }

    private async Task SubscribeChannelsAsync()
    {
        await Subscriptions.SubscribeAsync(_inbox, OnInbox).ConfigureAwait(false);
        await Subscriptions.SubscribeAsync(_node.Keys.Broadcast, OnBroadcast).ConfigureAwait(false);
    }

    private void OnRegistered(TetherConnection connection, string? previousNode, string[] groups)
    {
        var clientId = connection.ClientId!;
        if (groups.Length > 0 && connection.State == ConnectionState.Open
            && _server.Connections.TryGetByClientId(clientId, out var holder) && ReferenceEquals(holder, connection))
        {
            Groups.OnConnected(clientId, groups);
        }

        if (previousNode is not null)
        {
            PublishToNode(previousNode, new ClusterMessage(ClusterMessageKind.Replace, _node.Identity.Id, clientId, default));
        }
    }

    private void OnInbox(ClusterMessage message)
    {
        switch (message.Kind)
        {
            case ClusterMessageKind.Probe:
                if (message.Origin == _node.Identity.Id)
                {
                    Volatile.Write(ref _lastProbeReceived, _node.Time.GetTimestamp());
                }

                return;
            case ClusterMessageKind.Push:
                Pushes.OnPush(message);
                return;
            case ClusterMessageKind.PushReply:
                Pushes.OnReply(message);
                return;
            case ClusterMessageKind.AdminRequest:
                Admin.OnRequest(message);
                return;
            case ClusterMessageKind.AdminReply:
                Admin.OnReply(message);
                return;
            case ClusterMessageKind.Replace:
                Metrics.MessagesReceived.Add(1, ClusterMetrics.Tag("kind", "replace"));
                _ = ReplaceAsync(message.Key, message.Origin);
                return;
            case ClusterMessageKind.GroupJoined:
            case ClusterMessageKind.GroupLeft:
                Groups.OnRemoteChange(message.Key, Encoding.UTF8.GetString(message.Payload.Span), message.Kind == ClusterMessageKind.GroupJoined);
                return;
            default:
                OtherInboxMessage?.Invoke(message);
                return;
        }
    }

    private void OnBroadcast(ClusterMessage message)
    {
        if (message.Kind == ClusterMessageKind.Broadcast)
        {
            Feed.OnBroadcast(message);
        }
    }

    private async Task PublishBroadcastInBackgroundAsync(byte[] message)
    {
        try
        {
            await Feed.PublishAsync(message, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TetherException ex)
        {
            PublishFailed(ClusterMessageKind.Broadcast, ex.Message);
        }
    }

    /// <summary>
    /// Another node registered a connection of a client id this node held. The directory decides who is newer: the
    /// local connection closes unless the entry names it (then it registered after the other one, and the REPLACE
    /// is late).
    /// </summary>
    internal async Task ReplaceAsync(string clientId, string byNode)
    {
        if (!_server.Connections.TryGetByClientId(clientId, out var local))
        {
            return;
        }

        try
        {
            var entry = await _node.Database.HashGetAsync(_node.Keys.Connection(clientId), ["node", "conn"]).WaitAsync(_node.Options.OperationTimeout * 10, _node.Time).ConfigureAwait(false);
            if (entry[0].IsNull || ((string?)entry[0] == _node.Identity.Id && (long)entry[1] == local.Id))
            {
                return;
            }
        }
#pragma warning disable CA1031 // Without the directory's word, the connection stays (a wrong close is worse than a late one).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.Unavailable("replace", ex.Message);
            return;
        }

        Metrics.RemoteReplacements.Add(1);
        Log.RemoteReplaced(clientId, local.Id, byNode);
        local.BeginClose(new DisconnectInfo(DisconnectReason.Replaced, CloseCode.Replaced, $"replaced by a connection on node {byNode}"), CloseCode.Replaced, "replaced by a newer connection with the same client id", 0, immediate: false);
    }

    /// <summary>Sends a probe through the own inbox; a probe not back within two intervals is a stalled subscription.</summary>
    private async Task ProbeAsync()
    {
        if (!_node.Redis.IsConnected)
        {
            return;
        }

        var silent = _node.Time.GetElapsedTime(Volatile.Read(ref _lastProbeReceived));
        var sinceReconnect = _node.Time.GetElapsedTime(Volatile.Read(ref _lastReconnect));
        var limit = _node.Options.ProbeInterval * 2;
        if (silent > limit && sinceReconnect > limit)
        {
            Metrics.SubscriptionStalls.Add(1);
            Log.SubscriptionStalled(silent.TotalMilliseconds);
            try
            {
                var channels = await Subscriptions.ResubscribeAllAsync().ConfigureAwait(false);
                Volatile.Write(ref _lastProbeReceived, _node.Time.GetTimestamp());
                Metrics.SubscriptionRepairs.Add(1);
                Log.SubscriptionRepaired(channels);
            }
#pragma warning disable CA1031 // Tried again at the next probe.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Log.SubscriptionRepairFailed(ex);
            }
        }

        await PublishAsync(_inbox, new ClusterMessage(ClusterMessageKind.Probe, _node.Identity.Id, string.Empty, default).Encode(), ClusterMessageKind.Probe).ConfigureAwait(false);
    }

    private async Task PublishAsync(RedisChannel channel, byte[] payload, ClusterMessageKind kind)
    {
        try
        {
            await _node.Redis.GetSubscriber().PublishAsync(channel, payload).WaitAsync(_node.Options.OperationTimeout * 10, _node.Time).ConfigureAwait(false);
            if (kind != ClusterMessageKind.Probe)
            {
                Metrics.MessagesRouted.Add(1, ClusterMetrics.Tag("kind", kind.ToString().ToLowerInvariant()));
            }
        }
#pragma warning disable CA1031 // Fire and forget: logged and counted.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            PublishFailed(kind, ex.Message);
        }
    }

    private void PublishFailed(ClusterMessageKind kind, string reason)
    {
        Metrics.PublishFailures.Add(1, ClusterMetrics.Tag("kind", kind.ToString().ToLowerInvariant()));
        Log.PublishFailed(kind, reason);
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Interactive)
        {
            return;
        }

        Metrics.RedisConnectionEvents.Add(1, ClusterMetrics.Tag("event", "lost"));
        Log.ConnectionLost(e.EndPoint?.ToString() ?? "-", e.FailureType.ToString());
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType != ConnectionType.Interactive)
        {
            return;
        }

        Volatile.Write(ref _lastReconnect, _node.Time.GetTimestamp());
        Volatile.Write(ref _lastProbeReceived, _node.Time.GetTimestamp());
        Metrics.RedisConnectionEvents.Add(1, ClusterMetrics.Tag("event", "restored"));
        Log.ConnectionRestored(e.EndPoint?.ToString() ?? "-");
        _ = Task.Run(AfterReconnectAsync);
    }

    /// <summary>After a reconnect the node's presence is made exact again: subscriptions, announcement, directory, memberships.</summary>
    private async Task AfterReconnectAsync()
    {
        try
        {
            await SubscribeChannelsAsync().ConfigureAwait(false);
            Groups.ReconcileAll();
            await Presence.AnnounceAsync().ConfigureAwait(false);
            await Directory.RewriteAsync("the Redis connection was restored").ConfigureAwait(false);
            await Groups.RewriteAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The next reconnect, epoch check or probe tries again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.Unavailable("reconnect", ex.Message);
        }
    }

    private async Task EveryAsync(TimeSpan interval, Func<Task> action)
    {
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                await Task.Delay(interval, _node.Time, _stopping.Token).ConfigureAwait(false);
                if (!_silenced)
                {
                    await action().ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }
}
