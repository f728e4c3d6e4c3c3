namespace Tether.Admin.Api;

/// <summary>The answer of <c>GET /api/info</c>.</summary>
/// <param name="Version">Tether's version.</param>
/// <param name="Node">The name of the node that answered.</param>
/// <param name="NodeId">The id of the node that answered (its name plus a per-process incarnation in a cluster).</param>
/// <param name="StartedAt">When the answering node's server started.</param>
/// <param name="UptimeSeconds">How long the answering node's server has been up.</param>
/// <param name="ScaleOut">True when the server runs as a node of a cluster (Redis).</param>
/// <param name="Counts">Connections and sessions of the whole cluster (of this node alone without scale-out).</param>
/// <param name="Local">Connections and sessions of the answering node, right now.</param>
/// <param name="Nodes">The live nodes with their counts as last announced (the answering node alone without scale-out).</param>
/// <param name="Limits">The answering server's limits.</param>
internal sealed record InfoResponse(
    string Version,
    string Node,
    string NodeId,
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    bool ScaleOut,
    CountsResponse Counts,
    CountsResponse Local,
    IReadOnlyList<NodeResponse> Nodes,
    LimitsResponse Limits);

/// <summary>How many connections and sessions.</summary>
/// <param name="Connections">Open connections.</param>
/// <param name="Sessions">Reliable sessions held, attached or detached.</param>
internal sealed record CountsResponse(int Connections, int Sessions);

/// <summary>One node of the cluster.</summary>
/// <param name="Name">Its configured name.</param>
/// <param name="Id">Its id (name and incarnation).</param>
/// <param name="Connections">Its connections as last announced.</param>
/// <param name="Sessions">Its sessions as last announced.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="LastSeen">When it last announced itself.</param>
internal sealed record NodeResponse(string Name, string Id, int Connections, int Sessions, DateTimeOffset StartedAt, DateTimeOffset LastSeen);

/// <summary>The server's limits, as configured.</summary>
/// <param name="MaxConnections">The most connections the server accepts.</param>
/// <param name="MaxConnectionsPerAddress">The most connections from one remote address.</param>
/// <param name="MaxFrameSize">The largest frame, in bytes.</param>
/// <param name="MaxPendingOutboundBytes">The outbound bytes a connection may have queued before it is closed as a slow consumer.</param>
/// <param name="MessagesPerSecond">Messages a connection may send per second.</param>
/// <param name="BytesPerSecond">Bytes a connection may send per second.</param>
/// <param name="HandshakeTimeoutSeconds">How long a connection has to complete its handshake.</param>
/// <param name="SessionsEnabled">True when clients can have reliable sessions.</param>
/// <param name="DetachedSessionTtlSeconds">How long a detached session waits for its client.</param>
internal sealed record LimitsResponse(
    int MaxConnections,
    int MaxConnectionsPerAddress,
    int MaxFrameSize,
    int MaxPendingOutboundBytes,
    double MessagesPerSecond,
    double BytesPerSecond,
    double HandshakeTimeoutSeconds,
    bool SessionsEnabled,
    double DetachedSessionTtlSeconds);
