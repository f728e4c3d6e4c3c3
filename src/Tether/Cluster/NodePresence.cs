using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using StackExchange.Redis;
using Tether.Server;

namespace Tether.Cluster;

/// <summary>
/// This node's presence: it announces itself (hash with its counts, expiring after
/// <see cref="ScaleOutOptions.NodeTimeToLive"/>, plus its score in the nodes index) every
/// <see cref="ScaleOutOptions.AnnounceInterval"/>, watches the dataset epoch (a Redis that restarted empty), and now and
/// then cleans up after dead nodes under a lock. It also answers the presence queries from Redis.
/// </summary>
internal sealed class NodePresence
{
    private const int JanitorEveryAnnouncements = 5;
    private const int ScanPage = 500;

    private readonly ClusterNode _node;
    private readonly TetherServer _server;
    private readonly ClientDirectory _directory;
    private readonly RedisCalls _calls;
    private readonly ClusterLog _log;
    private readonly ClusterMetrics _metrics;
    private readonly long _startedMs;
    private string? _epoch;
    private int _announcements;

    public NodePresence(ClusterNode node, TetherServer server, ClientDirectory directory, RedisCalls calls, ClusterLog log, ClusterMetrics metrics)
    {
        _node = node;
        _server = server;
        _directory = directory;
        _calls = calls;
        _log = log;
        _metrics = metrics;
        _startedMs = node.Time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>Called after the directory rewrite that follows a lost dataset (the memberships are rewritten too).</summary>
    public Func<Task>? DatasetLost { get; set; }

    /// <summary>
    /// Called first when the dataset was replaced: the session store starts restoring the sessions this node holds
    /// (in the background: it must not block the announcement).
    /// </summary>
    public Action? SessionsLost { get; set; }

    /// <summary>Announces the node, checks the epoch and, every few rounds, runs the janitor. Never throws.</summary>
    public async Task AnnounceAsync()
    {
        if (!_node.Redis.IsConnected)
        {
            return;
        }

        try
        {
            await CheckEpochAsync().ConfigureAwait(false);
            var keys = _node.Keys;
            var id = _node.Identity.Id;
            var now = _node.Time.GetUtcNow().ToUnixTimeMilliseconds();
            var batch = _node.Database.CreateBatch();
            var set = batch.HashSetAsync(keys.Node(id), [
                new HashEntry("name", _node.Identity.Name),
                new HashEntry("id", id),
                new HashEntry("started", _startedMs),
                new HashEntry("connections", _server.Connections.Count),
                new HashEntry("sessions", _server.Sessions.Count),
                new HashEntry("endpoints", string.Join(',', _server.LocalEndPoints)),
            ]);
            var expire = batch.KeyExpireAsync(keys.Node(id), _node.Options.NodeTimeToLive);
            var index = batch.SortedSetAddAsync(keys.Nodes, id, now);
            batch.Execute();
            await Task.WhenAll(set, expire, index).WaitAsync(_node.Options.NodeTimeToLive, _node.Time).ConfigureAwait(false);
            if (++_announcements % JanitorEveryAnnouncements == 1)
            {
                await CleanDeadNodesAsync().ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // The next announcement tries again; readers treat a node not heard of as dead.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.AnnounceFailed(ex.Message);
        }
    }

    /// <summary>
    /// Removes this node's announcement on a clean stop, so that it disappears at once; its index entry stays for the
    /// janitor, which removes the directory entries its closing connections did not remove themselves.
    /// </summary>
    public async Task WithdrawAsync()
    {
        if (!_node.Redis.IsConnected)
        {
            return;
        }

        try
        {
            await _node.Database.KeyDeleteAsync(_node.Keys.Node(_node.Identity.Id)).WaitAsync(_node.Options.OperationTimeout * 10, _node.Time).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The announcement expires anyway.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _log.AnnounceFailed(ex.Message);
        }
    }

    public async Task<IReadOnlyList<ClusterNodeInfo>> GetNodesAsync(CancellationToken cancellationToken)
    {
        _calls.EnsureConnected("nodes");
        var database = _node.Database;
        var index = await _calls.RunAsync("nodes", () => database.SortedSetRangeByRankWithScoresAsync(_node.Keys.Nodes), cancellationToken).ConfigureAwait(false);
        var hashes = await _calls.RunAsync("nodes", () => Task.WhenAll(index.Select(entry => database.HashGetAllAsync(_node.Keys.Node((string)entry.Element!)))), cancellationToken).ConfigureAwait(false);
        var listening = await InboxesListenedToAsync([.. index.Select(entry => (string)entry.Element!)], cancellationToken).ConfigureAwait(false);
        var nodes = new List<ClusterNodeInfo>(index.Length);
        for (var i = 0; i < index.Length; i++)
        {
            // An expired announcement is a dead node, whatever the index still says; so is a node whose inbox has no
            // subscriber (Redis dropped its connection: a process that died), long before its announcement expires.
            // This node is alive whatever its inbox says (it may be resubscribing).
            if (hashes[i].Length == 0 || (!listening[i] && (string)index[i].Element! != _node.Identity.Id))
            {
                continue;
            }

            var fields = hashes[i].ToStringDictionary();
            nodes.Add(new ClusterNodeInfo(
                fields.GetValueOrDefault("name") ?? string.Empty,
                (string)index[i].Element!,
                int.TryParse(fields.GetValueOrDefault("connections"), out var connections) ? connections : 0,
                int.TryParse(fields.GetValueOrDefault("sessions"), out var sessions) ? sessions : 0,
                DateTimeOffset.FromUnixTimeMilliseconds(long.TryParse(fields.GetValueOrDefault("started"), out var started) ? started : 0),
                DateTimeOffset.FromUnixTimeMilliseconds((long)index[i].Score)));
        }

        return nodes;
    }

    public async Task<ClientLocation?> LocateAsync(string clientId, CancellationToken cancellationToken)
    {
        _calls.EnsureConnected("locate");
        var fields = (await _calls.RunAsync("locate", () => _node.Database.HashGetAllAsync(_node.Keys.Connection(clientId)), cancellationToken).ConfigureAwait(false)).ToStringDictionary();
        if (fields.GetValueOrDefault("node") is not { } nodeId)
        {
            return null;
        }

        if (!await _calls.RunAsync("locate", () => _node.Database.KeyExistsAsync(_node.Keys.Node(nodeId)), cancellationToken).ConfigureAwait(false)
            || !(await InboxesListenedToAsync([nodeId], cancellationToken).ConfigureAwait(false))[0])
        {
            return null;
        }

        return new ClientLocation(
            fields.GetValueOrDefault("name") ?? nodeId,
            nodeId,
            long.TryParse(fields.GetValueOrDefault("conn"), out var connectionId) ? connectionId : 0,
            DateTimeOffset.FromUnixTimeMilliseconds(long.TryParse(fields.GetValueOrDefault("since"), out var since) ? since : 0));
    }

    /// <summary>Whether each node's inbox has a subscriber now (one PUBSUB NUMSUB): a live node always listens to its inbox.</summary>
    private async Task<bool[]> InboxesListenedToAsync(string[] nodeIds, CancellationToken cancellationToken)
    {
        if (nodeIds.Length == 0)
        {
            return [];
        }

        var arguments = new object[nodeIds.Length + 1];
        arguments[0] = "NUMSUB";
        for (var i = 0; i < nodeIds.Length; i++)
        {
            arguments[i + 1] = _node.Keys.NodeInbox(nodeIds[i]).ToString();
        }

        var counts = (RedisResult[])(await _calls.RunAsync("nodes", () => _node.Database.ExecuteAsync("PUBSUB", arguments), cancellationToken).ConfigureAwait(false))!;
        var listening = new bool[nodeIds.Length];
        for (var i = 0; i < nodeIds.Length; i++)
        {
            listening[i] = (long)counts[(2 * i) + 1] > 0;
        }

        return listening;
    }

    /// <summary>The client ids of one live node, or of every live node, a page (one SSCAN) at a time.</summary>
    public async IAsyncEnumerable<string> GetClientIdsAsync(string? nodeId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var nodes = await GetNodesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var node in nodes)
        {
            if (nodeId is not null && node.Id != nodeId && node.Name != nodeId)
            {
                continue;
            }

            var cursor = "0";
            do
            {
                var page = (RedisResult[])(await _calls.RunAsync("client-ids", () => _node.Database.ExecuteAsync("SSCAN", _node.Keys.NodeClients(node.Id), cursor, "COUNT", ScanPage), cancellationToken).ConfigureAwait(false))!;
                cursor = (string)page[0]!;
                foreach (var member in (RedisResult[])page[1]!)
                {
                    yield return (string)member!;
                }
            }
            while (cursor != "0");
        }
    }

    /// <summary>Learns the dataset's epoch (creating it if Redis has none); a different one means Redis lost its data.</summary>
    private async Task CheckEpochAsync()
    {
        var database = _node.Database;
        var epochKey = _node.Keys.Epoch;
        var current = (string?)await database.StringGetAsync(epochKey).ConfigureAwait(false);
        if (current is null)
        {
            var fresh = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            await database.StringSetAsync(epochKey, fresh, when: When.NotExists).ConfigureAwait(false);
            current = (string?)await database.StringGetAsync(epochKey).ConfigureAwait(false) ?? fresh;
        }

        var previous = _epoch;
        _epoch = current;
        if (previous is not null && previous != current)
        {
            _metrics.EpochChanges.Add(1);
            _log.EpochChanged(previous, current);

            // Sessions first: until a session is back, a resume of it elsewhere finds nothing and is a reset.
            SessionsLost?.Invoke();
            await _directory.RewriteAsync("the Redis dataset changed").ConfigureAwait(false);
            if (DatasetLost is { } datasetLost)
            {
                await datasetLost().ConfigureAwait(false);
            }
        }
    }

    /// <summary>One node at a time (a lock with a lifetime) removes nodes whose announcement expired, and their entries.</summary>
    private async Task CleanDeadNodesAsync()
    {
        var database = _node.Database;
        var keys = _node.Keys;
        if (!await database.StringSetAsync(keys.JanitorLock, _node.Identity.Id, _node.Options.NodeTimeToLive, When.NotExists).ConfigureAwait(false))
        {
            return;
        }

        var before = _node.Time.GetUtcNow().ToUnixTimeMilliseconds() - (long)_node.Options.NodeTimeToLive.TotalMilliseconds;
        foreach (var candidate in await database.SortedSetRangeByScoreAsync(keys.Nodes, double.NegativeInfinity, before).ConfigureAwait(false))
        {
            var nodeId = (string)candidate!;
            if (await database.KeyExistsAsync(keys.Node(nodeId)).ConfigureAwait(false))
            {
                continue;
            }

            var (clients, sessions) = await _directory.ForgetNodeAsync(nodeId).ConfigureAwait(false);
            await database.SortedSetRemoveAsync(keys.Nodes, nodeId).ConfigureAwait(false);
            _log.JanitorCleaned(nodeId, clients, sessions);
        }
    }
}
