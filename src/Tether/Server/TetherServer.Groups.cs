using System.Runtime.CompilerServices;
using Tether.Cluster;

namespace Tether.Server;

// Groups and presence: on a single node from local state, in a cluster through its routing.
public sealed partial class TetherServer
{
    /// <summary>
    /// Adds <paramref name="clientId"/> to <paramref name="group"/>. Membership belongs to the client id, connected or
    /// not, and is kept across reconnects (in a cluster, in Redis, also across nodes). Names are 1 to 200 characters
    /// (<see cref="ArgumentException"/>). In a cluster it throws <see cref="TetherException"/> when Redis is unavailable.
    /// </summary>
    public Task JoinGroupAsync(string clientId, string group, CancellationToken cancellationToken = default)
    {
        GroupNames.ValidateClientId(clientId, nameof(clientId));
        GroupNames.Validate(group, nameof(group));
        if (Routing is not null)
        {
            return Routing.Groups.JoinAsync(clientId, group, cancellationToken);
        }

        _groups.Add(clientId, group);
        return Task.CompletedTask;
    }

    /// <summary>Removes <paramref name="clientId"/> from <paramref name="group"/> (nothing if it was not a member); see <see cref="JoinGroupAsync"/>.</summary>
    public Task LeaveGroupAsync(string clientId, string group, CancellationToken cancellationToken = default)
    {
        GroupNames.ValidateClientId(clientId, nameof(clientId));
        GroupNames.Validate(group, nameof(group));
        if (Routing is not null)
        {
            return Routing.Groups.LeaveAsync(clientId, group, cancellationToken);
        }

        _groups.Remove(clientId, group);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Sends <paramref name="message"/> to every connected member of <paramref name="group"/> once (a member's detached
    /// session gets it on resume), encoded once per node as a broadcast is, without waiting for anyone. Returns how many
    /// of this node's connections and sessions took it. In a cluster the message is published once for the other
    /// nodes' members; throws <see cref="TetherException"/> when Redis is not connected (before anything is sent) or
    /// does not answer within <see cref="ScaleOutOptions.OperationTimeout"/>.
    /// </summary>
    public Task<int> SendToGroupAsync(string group, ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        GroupNames.Validate(group, nameof(group));
        return Routing is not null
            ? Routing.Groups.SendAsync(group, message, cancellationToken)
            : Task.FromResult(_broadcaster.SendToClients(message.Span, _groups.MembersOf(group)));
    }

    /// <summary>The groups <paramref name="clientId"/> belongs to (in a cluster, from Redis; <see cref="TetherException"/> when it is unavailable).</summary>
    public Task<IReadOnlyList<string>> GetGroupsAsync(string clientId, CancellationToken cancellationToken = default)
    {
        GroupNames.ValidateClientId(clientId, nameof(clientId));
        return Routing is not null
            ? Routing.Groups.GetGroupsAsync(clientId, cancellationToken)
            : Task.FromResult<IReadOnlyList<string>>(_groups.GroupsOf(clientId));
    }

    /// <summary>
    /// The live nodes with their counts as last announced; a single node answers with itself. In a cluster it throws
    /// <see cref="TetherException"/> when Redis is unavailable. Cluster-wide counts are the sums over these nodes.
    /// </summary>
    public Task<IReadOnlyList<ClusterNodeInfo>> GetNodesAsync(CancellationToken cancellationToken = default)
    {
        if (Routing is not null)
        {
            return Routing.Presence.GetNodesAsync(cancellationToken);
        }

        var now = TimeProvider.GetUtcNow();
        var self = new ClusterNodeInfo(SingleNodeName, SingleNodeName, Connections.Count, Sessions.Count, _startedAt, now);
        return Task.FromResult<IReadOnlyList<ClusterNodeInfo>>([self]);
    }

    /// <summary>
    /// Where <paramref name="clientId"/> is connected (node, connection, since), or null when it is connected nowhere (a
    /// node whose announcement expired counts as nowhere). In a cluster it throws <see cref="TetherException"/> when
    /// Redis is unavailable.
    /// </summary>
    public Task<ClientLocation?> LocateClientAsync(string clientId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        if (Routing is not null)
        {
            return Routing.Presence.LocateAsync(clientId, cancellationToken);
        }

        return Task.FromResult(Connections.TryGetByClientId(clientId, out var connection) && connection.State == ConnectionState.Open
            ? new ClientLocation(SingleNodeName, SingleNodeName, connection.Id, TimeProvider.GetUtcNow() - connection.Age)
            : null);
    }

    /// <summary>
    /// The client ids connected to one node (<paramref name="node"/>: its name or id) or, when null, to every live node,
    /// streamed a page at a time (one Redis SSCAN of up to 500 each). In a cluster a page throws
    /// <see cref="TetherException"/> when Redis is unavailable.
    /// </summary>
    public IAsyncEnumerable<string> GetClientIdsAsync(string? node = null, CancellationToken cancellationToken = default) =>
        Routing is not null ? Routing.Presence.GetClientIdsAsync(node, cancellationToken) : LocalClientIdsAsync(cancellationToken);

    private async IAsyncEnumerable<string> LocalClientIdsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var connection in Connections)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (connection.ClientId is { } clientId && connection.State == ConnectionState.Open)
            {
                yield return clientId;
            }
        }
    }
}
