using System.Net;

namespace Tether.Server;

/// <summary>One client as its node sees it: where and since when it is connected, its traffic and its session.</summary>
public sealed class ClientDetails
{
    /// <summary>The client id.</summary>
    public required string ClientId { get; init; }

    /// <summary>The name of the node that holds the client's connection (or its detached session).</summary>
    public required string NodeName { get; init; }

    /// <summary>The id of that node.</summary>
    public required string NodeId { get; init; }

    /// <summary>True while the client has an open connection; false when only its detached session is held.</summary>
    public bool Connected { get; init; }

    /// <summary>The connection's id on its node; null when not connected.</summary>
    public long? ConnectionId { get; init; }

    /// <summary>The peer's address and port; null when not connected.</summary>
    public string? RemoteAddress { get; init; }

    /// <summary>When the connection was opened; null when not connected.</summary>
    public DateTimeOffset? ConnectedSince { get; init; }

    /// <summary>The last measured round-trip time; null before the first heartbeat answer.</summary>
    public TimeSpan? RoundTripTime { get; init; }

    /// <summary>Bytes and messages in and out of the connection; zero when not connected.</summary>
    public ConnectionStatistics Statistics { get; init; }

    /// <summary>Bytes queued for the client that the network has not taken yet.</summary>
    public int PendingOutboundBytes { get; init; }

    /// <summary>The reliable session's id (hex); null without a session.</summary>
    public string? SessionId { get; init; }

    /// <summary>Where the reliable session stands.</summary>
    public ClientSessionState SessionState { get; init; }

    /// <summary>Messages the session sent that the client has not acknowledged yet.</summary>
    public int UnacknowledgedMessages { get; init; }

    internal static ClientDetails Of(TetherConnection connection, string nodeName, string nodeId, DateTimeOffset now)
    {
        var session = connection.Session;
        return new ClientDetails
        {
            ClientId = connection.ClientId!,
            NodeName = nodeName,
            NodeId = nodeId,
            Connected = true,
            ConnectionId = connection.Id,
            RemoteAddress = connection.RemoteEndPoint is IPEndPoint ip ? ip.ToString() : connection.RemoteEndPoint?.ToString(),
            ConnectedSince = now - connection.Age,
            RoundTripTime = connection.RoundTripTime,
            Statistics = connection.Statistics,
            PendingOutboundBytes = connection.PendingOutboundBytes,
            SessionId = session?.Id.ToString(),
            SessionState = session is null ? ClientSessionState.None : session.IsLost ? ClientSessionState.Lost : ClientSessionState.Attached,
            UnacknowledgedMessages = session?.UnacknowledgedMessages ?? 0,
        };
    }

    internal static ClientDetails Of(TetherSession session, string nodeName, string nodeId) => new()
    {
        ClientId = session.ClientId!,
        NodeName = nodeName,
        NodeId = nodeId,
        SessionId = session.Id.ToString(),
        SessionState = session.IsLost ? ClientSessionState.Lost : session.IsAttached ? ClientSessionState.Attached : ClientSessionState.Detached,
        UnacknowledgedMessages = session.UnacknowledgedMessages,
    };
}
