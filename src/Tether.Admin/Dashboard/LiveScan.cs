using Tether.Server;

namespace Tether.Admin.Dashboard;

/// <summary>
/// What only a walk over the registries can tell: the clients with the most bytes waiting to be sent, and how many
/// sessions are attached. Done when a page asks (at most once per second for all pages together, see
/// <see cref="LiveScanCache"/>) and bounded by <see cref="DashboardOptions.ScanLimit"/>; it only reads public properties.
/// </summary>
internal static class LiveScan
{
    public static LiveScanResult Run(TetherServer server, int topCount, int scanLimit)
    {
        var top = new PriorityQueue<PendingClient, int>(topCount + 1);
        var scanned = 0;
        var truncated = false;
        foreach (var connection in server.Connections)
        {
            if (scanned++ >= scanLimit)
            {
                truncated = true;
                break;
            }

            var pending = connection.PendingOutboundBytes;
            if (pending <= 0)
            {
                continue;
            }

            if (top.Count < topCount)
            {
                top.Enqueue(new PendingClient(connection.Id, connection.ClientId, connection.RemoteEndPoint?.ToString(), pending), pending);
            }
            else if (top.TryPeek(out _, out var smallest) && pending > smallest)
            {
                top.DequeueEnqueue(new PendingClient(connection.Id, connection.ClientId, connection.RemoteEndPoint?.ToString(), pending), pending);
            }
        }

        var attached = 0;
        var detached = 0;
        var sessionsScanned = 0;
        foreach (var session in server.Sessions)
        {
            if (sessionsScanned++ >= scanLimit)
            {
                truncated = true;
                break;
            }

            if (session.IsAttached)
            {
                attached++;
            }
            else
            {
                detached++;
            }
        }

        var topList = new List<PendingClient>(top.Count);
        while (top.TryDequeue(out var client, out _))
        {
            topList.Add(client);
        }

        topList.Reverse();
        return new LiveScanResult(topList, attached, detached, truncated);
    }
}

/// <summary>A client in the "top pending bytes" table.</summary>
internal sealed record PendingClient(long ConnectionId, string? ClientId, string? RemoteEndPoint, int PendingBytes);

/// <summary>The outcome of one <see cref="LiveScan"/>; <paramref name="Truncated"/> when the scan limit cut it short.</summary>
internal sealed record LiveScanResult(IReadOnlyList<PendingClient> TopPending, int SessionsAttached, int SessionsDetached, bool Truncated);
