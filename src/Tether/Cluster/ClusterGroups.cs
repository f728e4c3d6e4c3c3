using Tether.Server;

namespace Tether.Cluster;

/// <summary>
/// Groups across nodes. Membership belongs to the client id and lives in Redis (<c>{cid}:groups</c> and the group's
/// members set); a node keeps in memory only the memberships of its connected clients (loaded with the directory
/// registration on connect) and subscribes to a group's channel while it has at least one such member. A group send
/// delivers to the local members and publishes once; every other subscribed node delivers to its own, encoded once.
/// </summary>
internal sealed class ClusterGroups
{
    // KEYS: client's groups, group's members, client's directory entry. ARGV: group, client id, this node, inbox name
    // before and after the node id, the notice for the holder node, 'join' or 'leave'. The node holding the client
    // (if another) learns of the change in the same round trip.
    private const string ChangeScript = """
        if ARGV[7] == 'join' then
          redis.call('SADD', KEYS[1], ARGV[1])
          redis.call('SADD', KEYS[2], ARGV[2])
        else
          redis.call('SREM', KEYS[1], ARGV[1])
          redis.call('SREM', KEYS[2], ARGV[2])
        end
        local node = redis.call('HGET', KEYS[3], 'node')
        if node and node ~= ARGV[3] then redis.call('PUBLISH', ARGV[4] .. node .. ARGV[5], ARGV[6]) end
        return 1
        """;

    private readonly ClusterRouting _routing;
    private readonly ClusterNode _node;
    private readonly TetherServer _server;
    private readonly GroupTable _local = new();

    public ClusterGroups(ClusterRouting routing, ClusterNode node, TetherServer server)
    {
        _routing = routing;
        _node = node;
        _server = server;
    }

    /// <summary>True while this node is subscribed to <paramref name="group"/>'s channel (tests wait for it).</summary>
    internal bool IsSubscribed(string group) => _routing.Subscriptions.IsSubscribed(_node.Keys.Group(group));

    public Task JoinAsync(string clientId, string group, CancellationToken cancellationToken) =>
        ChangeAsync(clientId, group, join: true, cancellationToken);

    public Task LeaveAsync(string clientId, string group, CancellationToken cancellationToken) =>
        ChangeAsync(clientId, group, join: false, cancellationToken);

    public async Task<int> SendAsync(string group, ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var calls = _routing.Calls;
        calls.EnsureConnected("group-send");
        var delivered = _server.DeliverToClients(message.Span, _local.MembersOf(group));
        var payload = ClusterMessage.Encode(ClusterMessageKind.Group, _node.Identity.Id, group, message.Span);
        await calls.RunAsync("group-send", () => _node.Redis.GetSubscriber().PublishAsync(_node.Keys.Group(group), payload), cancellationToken).ConfigureAwait(false);
        _routing.Metrics.MessagesRouted.Add(1, ClusterMetrics.Tag("kind", "group"));
        return delivered;
    }

    public async Task<IReadOnlyList<string>> GetGroupsAsync(string clientId, CancellationToken cancellationToken)
    {
        _routing.Calls.EnsureConnected("groups");
        var members = await _routing.Calls.RunAsync("groups", () => _node.Database.SetMembersAsync(_node.Keys.ClientGroups(clientId)), cancellationToken).ConfigureAwait(false);
        return [.. members.Select(m => (string)m!)];
    }

    /// <summary>A client id registered here: its groups (from the registration's reply) now have a local member.</summary>
    public void OnConnected(string clientId, string[] groups)
    {
        foreach (var group in groups)
        {
            if (_local.Add(clientId, group))
            {
                Reconcile(group);
            }
        }
    }

    /// <summary>A client id's connection here ended (and no newer one holds it here): its groups lose a local member.</summary>
    public void OnDisconnected(string clientId)
    {
        foreach (var group in _local.RemoveClient(clientId))
        {
            Reconcile(group);
        }
    }

    /// <summary>Another node changed the membership of a client id connected here.</summary>
    public void OnRemoteChange(string clientId, string group, bool joined)
    {
        if (!_server.Connections.TryGetByClientId(clientId, out _))
        {
            return;
        }

        if (joined ? _local.Add(clientId, group) : _local.Remove(clientId, group))
        {
            Reconcile(group);
        }
    }

    /// <summary>After a reconnect: the channel of every group with a local member is subscribed again if it was lost.</summary>
    public void ReconcileAll()
    {
        foreach (var group in _local.Groups())
        {
            Reconcile(group);
        }
    }

    /// <summary>The local members' memberships, written again after Redis lost its data.</summary>
    public async Task RewriteAsync()
    {
        var database = _node.Database;
        var writes = new List<Task>();
        foreach (var group in _local.Groups())
        {
            foreach (var clientId in _local.MembersOf(group))
            {
                writes.Add(database.SetAddAsync(_node.Keys.ClientGroups(clientId), group));
                writes.Add(database.SetAddAsync(_node.Keys.GroupMembers(group), clientId));
            }
        }

        await Task.WhenAll(writes).ConfigureAwait(false);
    }

    private async Task ChangeAsync(string clientId, string group, bool join, CancellationToken cancellationToken)
    {
        var calls = _routing.Calls;
        var operation = join ? "group-join" : "group-leave";
        calls.EnsureConnected(operation);
        var keys = _node.Keys;
        var notice = ClusterMessage.Encode(join ? ClusterMessageKind.GroupJoined : ClusterMessageKind.GroupLeft, _node.Identity.Id, clientId, System.Text.Encoding.UTF8.GetBytes(group));
        await calls.RunAsync(operation, () => _node.Database.ScriptEvaluateAsync(
                ChangeScript,
                [keys.ClientGroups(clientId), keys.GroupMembers(group), keys.Connection(clientId)],
                [group, clientId, _node.Identity.Id, _routing.InboxPrefix, _routing.InboxSuffix, notice, join ? "join" : "leave"]),
            cancellationToken).ConfigureAwait(false);

        if (!_server.Connections.TryGetByClientId(clientId, out _))
        {
            return;
        }

        if (join ? _local.Add(clientId, group) : _local.Remove(clientId, group))
        {
            var channel = keys.Group(group);
            if (join)
            {
                // A member here: the caller may send to the group next, so the subscription is in place on return.
                await calls.RunAsync(operation, () => _routing.Subscriptions.ReconcileAsync(channel, () => _local.HasMembers(group), m => OnGroupMessage(group, m)), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                Reconcile(group);
            }
        }
    }

    private void Reconcile(string group) =>
        _ = ReconcileAsync(group);

    private async Task ReconcileAsync(string group)
    {
        try
        {
            await _routing.Subscriptions.ReconcileAsync(_node.Keys.Group(group), () => _local.HasMembers(group), m => OnGroupMessage(group, m)).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Redis away: ReconcileAll after the reconnect subscribes it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _routing.Log.Unavailable("group-subscribe", ex.Message);
        }
    }

    private void OnGroupMessage(string group, ClusterMessage message)
    {
        if (message.Kind != ClusterMessageKind.Group || message.Origin == _node.Identity.Id)
        {
            return;
        }

        _routing.Metrics.MessagesReceived.Add(1, ClusterMetrics.Tag("kind", "group"));
        _server.DeliverToClients(message.Payload.Span, _local.MembersOf(group));
    }
}
