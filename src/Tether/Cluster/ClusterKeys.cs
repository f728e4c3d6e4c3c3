using StackExchange.Redis;

namespace Tether.Cluster;

/// <summary>
/// Names of the cluster's Redis keys and channels. Everything about one client shares the hash tag <c>{cid}</c>, so
/// that Redis Cluster could shard by client and a script on one client's keys stays in one slot; node and group keys
/// have their own tags.
/// </summary>
internal sealed class ClusterKeys
{
    private readonly string _prefix;

    public ClusterKeys(string prefix)
    {
        _prefix = prefix;
    }

    /// <summary>The random id of this Redis dataset: when it changes, Redis lost its data.</summary>
    public RedisKey Epoch => $"{_prefix}:epoch";

    /// <summary>Every node's last announcement time (sorted set: node id → unix ms).</summary>
    public RedisKey Nodes => $"{_prefix}:nodes";

    /// <summary>A node's announcement (expires when the node stops announcing).</summary>
    public RedisKey Node(string nodeId) => $"{_prefix}:node:{{{nodeId}}}";

    /// <summary>A node's announcement key before its id (scripts build any node's key as prefix + id + <see cref="NodeKeySuffix"/>).</summary>
    public string NodeKeyPrefix => $"{_prefix}:node:{{";

    /// <summary>A node's announcement key after its id.</summary>
    public static string NodeKeySuffix => "}";

    /// <summary>The client ids connected to a node.</summary>
    public RedisKey NodeClients(string nodeId) => $"{_prefix}:node:{{{nodeId}}}:clients";

    /// <summary>Where a client id is connected now (hash: node, connection, since, address).</summary>
    public RedisKey Connection(string clientId) => $"{_prefix}:{{{clientId}}}:conn";

    /// <summary>The groups a client id belongs to (kept across reconnects and moves).</summary>
    public RedisKey ClientGroups(string clientId) => $"{_prefix}:{{{clientId}}}:groups";

    /// <summary>A reliable session's state (hash).</summary>
    public RedisKey Session(string clientId) => $"{_prefix}:{{{clientId}}}:sess";

    /// <summary>A reliable session's unacknowledged messages (stream, entry id = sequence number).</summary>
    public RedisKey SessionLog(string clientId) => $"{_prefix}:{{{clientId}}}:out";

    /// <summary>The ids of the last pushes a session took from other nodes (a list, newest first, short-lived).</summary>
    public RedisKey SessionPushes(string clientId) => $"{_prefix}:{{{clientId}}}:push";

    /// <summary>What became of a session that is gone (reason and lost count), for a late resume.</summary>
    public RedisKey SessionTombstone(string clientId) => $"{_prefix}:{{{clientId}}}:lost";

    /// <summary>The client id a session id belongs to (a resume names only the session).</summary>
    public RedisKey SessionOwnerClient(string sessionId) => $"{_prefix}:sid:{sessionId}";

    /// <summary>The members (client ids) of a group.</summary>
    public RedisKey GroupMembers(string group) => $"{_prefix}:group:{{{group}}}:members";

    /// <summary>A node's inbox: pushes to its clients, replacements, takeovers, probes.</summary>
    public RedisChannel NodeInbox(string nodeId) => RedisChannel.Literal($"{_prefix}:node:{{{nodeId}}}:inbox");

    /// <summary>The cluster's broadcasts, in order (a stream kept for the sessions' detached time to live).</summary>
    public RedisKey BroadcastLog => $"{_prefix}:{{bcast}}:log";

    /// <summary>The id of the last entry of <see cref="BroadcastLog"/> (what a broadcast names as the one before it).</summary>
    public RedisKey BroadcastLast => $"{_prefix}:{{bcast}}:last";

    /// <summary>Messages to every client of every node.</summary>
    public RedisChannel Broadcast => RedisChannel.Literal($"{_prefix}:broadcast");

    /// <summary>Messages to a group's members, on every node that has one.</summary>
    public RedisChannel Group(string group) => RedisChannel.Literal($"{_prefix}:group:{{{group}}}");

    /// <summary>The lock that lets one node at a time clean up after dead nodes.</summary>
    public RedisKey JanitorLock => $"{_prefix}:janitor";

    /// <summary>The prefix of every key and channel (the session scripts build a node's notice channel from it).</summary>
    public string Prefix => _prefix;

    /// <summary>A node's session notices: "this session was taken over by another node" (payload: the session id).</summary>
    public RedisChannel SessionNotices(string nodeId) => RedisChannel.Literal(SessionNoticesName(_prefix, nodeId));

    /// <summary>The name of <see cref="SessionNotices"/> (the claim script builds the same name in Lua).</summary>
    public static string SessionNoticesName(string prefix, string nodeId) => $"{prefix}:node:{{{nodeId}}}:sessions";
}
