using System.Reflection;
using Tether.Server;

namespace Tether.Admin.Api;

/// <summary><c>GET /api/info</c>: version, uptime, nodes, counts and limits.</summary>
internal static class InfoEndpoint
{
    private static readonly string Version =
        typeof(TetherServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(TetherServer).Assembly.GetName().Version?.ToString()
        ?? "unknown";

    public static async Task<InfoResponse> GetAsync(TetherServer server, CancellationToken cancellationToken)
    {
        var nodes = await server.GetNodesAsync(cancellationToken).ConfigureAwait(false);
        var local = new CountsResponse(server.Connections.Count, server.Sessions.Count);
        var scaleOut = server.Options.ScaleOut is not null;

        // Other nodes' counts are as they last announced them; this node's own are live.
        var connections = local.Connections;
        var sessions = local.Sessions;
        foreach (var node in nodes)
        {
            if (node.Id != server.NodeId)
            {
                connections += node.Connections;
                sessions += node.Sessions;
            }
        }

        var options = server.Options;
        return new InfoResponse(
            Version,
            server.NodeName,
            server.NodeId,
            server.StartedAt,
            Math.Round(server.Uptime.TotalSeconds, 3),
            scaleOut,
            new CountsResponse(connections, sessions),
            local,
            [.. nodes.Select(n => new NodeResponse(n.Name, n.Id, n.Connections, n.Sessions, n.Started, n.LastSeen))],
            new LimitsResponse(
                options.MaxConnections,
                options.MaxConnectionsPerAddress,
                options.MaxFrameSize,
                options.MaxPendingOutboundBytes,
                options.RateLimits.MessagesPerSecond,
                options.RateLimits.BytesPerSecond,
                options.HandshakeTimeout.TotalSeconds,
                options.Sessions.Enabled,
                options.Sessions.DetachedTimeToLive.TotalSeconds));
    }
}
