namespace Tether.Server;

// What an admin API reports about this server as a whole (uptime, which node it is).
public sealed partial class TetherServer
{
    /// <summary>When this server object was created (its uptime counts from here).</summary>
    public DateTimeOffset StartedAt => _startedAt;

    /// <summary>How long this server has been up, by its time provider.</summary>
    public TimeSpan Uptime => TimeProvider.GetUtcNow() - _startedAt;

    /// <summary>This node's configured name in a cluster (<see cref="Cluster.ScaleOutOptions.NodeName"/> or its default), or "local" for a single node.</summary>
    public string NodeName => Cluster?.Identity.Name ?? SingleNodeName;

    /// <summary>This node's id in a cluster (its name plus a per-process incarnation), or "local" for a single node.</summary>
    public string NodeId => Cluster?.Identity.Id ?? SingleNodeName;
}
