namespace Tether.Cluster;

/// <summary>Where a client id is connected (<see cref="Server.TetherServer.LocateClientAsync"/>).</summary>
public sealed class ClientLocation
{
    internal ClientLocation(string nodeName, string nodeId, long connectionId, DateTimeOffset connectedSince)
    {
        NodeName = nodeName;
        NodeId = nodeId;
        ConnectionId = connectionId;
        ConnectedSince = connectedSince;
    }

    /// <summary>The name of the node that holds the connection.</summary>
    public string NodeName { get; }

    /// <summary>The id of that node.</summary>
    public string NodeId { get; }

    /// <summary>The connection's id on that node.</summary>
    public long ConnectionId { get; }

    /// <summary>When the connection was accepted.</summary>
    public DateTimeOffset ConnectedSince { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{NodeName} connection #{ConnectionId}";
}
