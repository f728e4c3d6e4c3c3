using StackExchange.Redis;
using Tether.Server;

namespace Tether.Cluster;

/// <summary>
/// Where each client id is connected, in Redis: <c>{cid}:conn</c> (node, name, connection, since, address) and the
/// node's clients set. Written once per connect and once per close (never per idle connection), without the handshake
/// waiting for it; rewritten whole after a reconnect or a Redis that lost its data.
/// </summary>
internal sealed class ClientDirectory
{
    // Registers a connection. KEYS: conn hash, node's clients set, client's groups. ARGV: node id, node name,
    // connection id, since (unix ms), address, client id, restore flag. A restore never takes an entry another node
    // holds (that node's connection is newer than the one Redis forgot). Returns the previous holder node ('' if none)
    // and, for a new connection, the client's groups.
    private const string RegisterScript = """
        local prev = redis.call('HGET', KEYS[1], 'node') or ''
        if ARGV[7] == '1' and prev ~= '' and prev ~= ARGV[1] then return {prev} end
        redis.call('HSET', KEYS[1], 'node', ARGV[1], 'name', ARGV[2], 'conn', ARGV[3], 'since', ARGV[4], 'addr', ARGV[5])
        redis.call('SADD', KEYS[2], ARGV[6])
        local result = {prev}
        if ARGV[7] ~= '1' then
          local groups = redis.call('SMEMBERS', KEYS[3])
          for i = 1, #groups do result[#result + 1] = groups[i] end
        end
        return result
        """;

    // Unregisters a closed connection: the entry goes only if it is still this connection's (a newer connection of the
    // same client id, here or elsewhere, keeps it); the node's set loses the client id unless a newer local connection holds it.
    private const string UnregisterScript = """
        local node = redis.call('HGET', KEYS[1], 'node')
        if node == ARGV[1] then
          if redis.call('HGET', KEYS[1], 'conn') ~= ARGV[2] then return 0 end
          redis.call('DEL', KEYS[1])
        end
        redis.call('SREM', KEYS[2], ARGV[3])
        return 1
        """;

    // Removes a dead node's entry for a client id, unless another node holds it now.
    private const string ForgetScript = """
        if redis.call('HGET', KEYS[1], 'node') == ARGV[1] then redis.call('DEL', KEYS[1]) end
        return 1
        """;

    private const int RewriteBatch = 256;

    private readonly ClusterNode _node;
    private readonly TetherServer _server;
    private readonly ClusterLog _log;
    private readonly ClusterMetrics _metrics;
    private int _rewriting;

    public ClientDirectory(ClusterNode node, TetherServer server, ClusterLog log, ClusterMetrics metrics)
    {
        _node = node;
        _server = server;
        _log = log;
        _metrics = metrics;
    }

    /// <summary>Raised with a registered client id, the node that held it before (if another) and its groups.</summary>
    public Action<TetherConnection, string?, string[]>? Registered { get; set; }

    /// <summary>Records a new connection of a client id, without waiting; failures are logged and counted.</summary>
    public void Register(TetherConnection connection) => _ = RegisterAsync(connection);

    /// <summary>Removes a closed connection's entry, without waiting; failures are logged and counted.</summary>
    public void Unregister(TetherConnection connection) => _ = UnregisterAsync(connection);

    /// <summary>Rewrites every local connection's entry (after a reconnect or a lost dataset); one rewrite at a time.</summary>
    public async Task RewriteAsync(string why)
    {
        if (Interlocked.Exchange(ref _rewriting, 1) == 1)
        {
            return;
        }

        try
        {
            var count = 0;
            var batch = new List<Task>(RewriteBatch);
            foreach (var connection in _server.Connections)
            {
                if (connection.ClientId is not { } clientId || connection.State != ConnectionState.Open
                    || !_server.Connections.TryGetByClientId(clientId, out var holder) || !ReferenceEquals(holder, connection))
                {
                    continue;
                }

                batch.Add(EvaluateRegister(connection, restore: true));
                count++;
                if (batch.Count == RewriteBatch)
                {
                    await Task.WhenAll(batch).ConfigureAwait(false);
                    batch.Clear();
                }
            }

            await Task.WhenAll(batch).ConfigureAwait(false);
            _metrics.DirectoryRewrites.Add(1);
            _log.DirectoryRewritten(count, why);
        }
#pragma warning disable CA1031 // A failed rewrite is logged and counted; the next reconnect or epoch check tries again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Failed("rewrite", ex);
        }
        finally
        {
            Volatile.Write(ref _rewriting, 0);
        }
    }

    /// <summary>Removes a dead node's entries (its clients set, then the set itself).</summary>
    public async Task<(long Clients, long Sessions)> ForgetNodeAsync(string nodeId)
    {
        var database = _node.Database;
        var keys = _node.Keys;
        var forgotten = 0L;
        var ttl = (long)_server.Options.Sessions.DetachedTimeToLive.TotalMilliseconds;
        var tombstoneTtl = (long)(_server.Options.Sessions.DetachedTimeToLive + RedisSessionStore.TombstoneExtra).TotalMilliseconds;
        var batch = new List<Task>(RewriteBatch);
        var releases = new List<Task<RedisResult>>();
        await foreach (var member in database.SetScanAsync(keys.NodeClients(nodeId), pageSize: RewriteBatch).ConfigureAwait(false))
        {
            var clientId = (string)member!;
            batch.Add(database.ScriptEvaluateAsync(ForgetScript, [keys.Connection(clientId)], [nodeId]));

            // Its sessions whose clients never came back would otherwise never expire.
            var release = SessionScripts.Orphan.EvaluateAsync(database,
            [
                keys.Session(clientId),
                keys.SessionLog(clientId),
                keys.SessionTombstone(clientId),
            ],
            [
                nodeId,
                ttl,
                tombstoneTtl,
                keys.Prefix,
            ]);
            batch.Add(release);
            releases.Add(release);
            forgotten++;
            if (batch.Count >= RewriteBatch)
            {
                await Task.WhenAll(batch).ConfigureAwait(false);
                batch.Clear();
            }
        }

        await Task.WhenAll(batch).ConfigureAwait(false);
        await database.KeyDeleteAsync(keys.NodeClients(nodeId)).ConfigureAwait(false);
        return (forgotten, releases.Count(r => (long)r.Result == 1));
    }

    private async Task RegisterAsync(TetherConnection connection)
    {
        try
        {
            var result = (RedisResult[])(await EvaluateRegister(connection, restore: false).ConfigureAwait(false))!;
            var previous = (string?)result[0];
            var groups = new string[result.Length - 1];
            for (var i = 1; i < result.Length; i++)
            {
                groups[i - 1] = (string)result[i]!;
            }

            Registered?.Invoke(connection, string.IsNullOrEmpty(previous) || previous == _node.Identity.Id ? null : previous, groups);
        }
#pragma warning disable CA1031 // Fire and forget: the handshake never waits for Redis; a rewrite repairs the entry.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Failed("register", ex);
        }
    }

    private async Task UnregisterAsync(TetherConnection connection)
    {
        try
        {
            var keys = _node.Keys;
            var clientId = connection.ClientId!;
            await _node.Database.ScriptEvaluateAsync(
                UnregisterScript,
                [keys.Connection(clientId), keys.NodeClients(_node.Identity.Id)],
                [_node.Identity.Id, connection.Id, clientId]).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Fire and forget; a dead node's leftovers are ignored by readers and cleaned by the janitor.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Failed("unregister", ex);
        }
    }

    private Task<RedisResult> EvaluateRegister(TetherConnection connection, bool restore)
    {
        var keys = _node.Keys;
        var clientId = connection.ClientId!;
        var since = _node.Time.GetUtcNow().ToUnixTimeMilliseconds() - (long)connection.Age.TotalMilliseconds;
        return _node.Database.ScriptEvaluateAsync(
            RegisterScript,
            [keys.Connection(clientId), keys.NodeClients(_node.Identity.Id), keys.ClientGroups(clientId)],
            [_node.Identity.Id, _node.Identity.Name, connection.Id, since, connection.RemoteEndPoint?.ToString() ?? string.Empty, clientId, restore ? "1" : "0"]);
    }

    private void Failed(string operation, Exception ex)
    {
        _metrics.DirectoryFailures.Add(1, ClusterMetrics.Tag("operation", operation));
        _log.DirectoryWriteFailed(operation, ex.Message);
    }
}
