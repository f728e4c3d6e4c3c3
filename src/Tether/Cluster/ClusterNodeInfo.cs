namespace Tether.Cluster;

/// <summary>One live node of a cluster as it last announced itself (<see cref="Server.TetherServer.GetNodesAsync"/>).</summary>
public sealed class ClusterNodeInfo
{
    internal ClusterNodeInfo(string name, string id, int connections, int sessions, DateTimeOffset started, DateTimeOffset lastSeen)
    {
        Name = name;
        Id = id;
        Connections = connections;
        Sessions = sessions;
        Started = started;
        LastSeen = lastSeen;
    }

    /// <summary>The node's configured name.</summary>
    public string Name { get; }

    /// <summary>The node's id: its name and a random incarnation, new for every process.</summary>
    public string Id { get; }

    /// <summary>Its connections at its last announcement.</summary>
    public int Connections { get; }

    /// <summary>Its reliable sessions (attached or detached) at its last announcement.</summary>
    public int Sessions { get; }

    /// <summary>When the node started.</summary>
    public DateTimeOffset Started { get; }

    /// <summary>When the node last announced itself.</summary>
    public DateTimeOffset LastSeen { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Id}): {Connections} connections, {Sessions} sessions";
}
