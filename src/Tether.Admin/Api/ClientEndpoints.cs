using System.Globalization;
using Microsoft.AspNetCore.Http;
using Tether.Protocol;
using Tether.Server;

namespace Tether.Admin.Api;

/// <summary><c>GET /api/clients</c>, <c>GET</c> / <c>DELETE /api/clients/{clientId}</c>, and group membership.</summary>
internal static class ClientEndpoints
{
    private const int DefaultPageSize = 100;
    private const string DefaultReason = "disconnected by the admin API";

    /// <summary>
    /// A page of connected client ids (cluster-wide with scale-out): <c>?limit=&amp;cursor=</c> or
    /// <c>?page=&amp;pageSize=</c>. The cursor is an offset into the listing, opaque to callers.
    /// </summary>
    public static async Task<IResult> ListAsync(HttpRequest request, TetherServer server, AdminOptions options, CancellationToken cancellationToken)
    {
        var query = request.Query;
        var usesPages = query.ContainsKey("page") || query.ContainsKey("pageSize");
        var limit = Math.Min(PositiveOr(query[usesPages ? "pageSize" : "limit"], usesPages ? "pageSize" : "limit", DefaultPageSize), options.MaxPageSize);
        long offset = usesPages
            ? ((long)PositiveOr(query["page"], "page", 1) - 1) * limit
            : query["cursor"].ToString() is { Length: > 0 } cursor
                ? long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var at) ? at : throw new ArgumentException($"cursor '{cursor}' is not one this API gave out")
                : 0;

        var clients = new List<string>(Math.Min(limit, 1024));
        var seen = 0L;
        var more = false;
        await foreach (var clientId in server.GetClientIdsAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (seen++ < offset)
            {
                continue;
            }

            if (clients.Count == limit)
            {
                more = true;
                break;
            }

            clients.Add(clientId);
        }

        var next = more ? (offset + limit).ToString(CultureInfo.InvariantCulture) : null;
        return Results.Json(new ClientsPage(clients, next, limit), AdminJson.Default.ClientsPage);
    }

    public static async Task<IResult> GetAsync(string clientId, TetherServer server, CancellationToken cancellationToken)
    {
        var details = await server.GetClientDetailsAsync(clientId, cancellationToken).ConfigureAwait(false);
        if (details is null)
        {
            return ApiResults.NotFound($"no client {clientId} is connected or has a session");
        }

        var groups = await server.GetGroupsAsync(clientId, cancellationToken).ConfigureAwait(false);
        var statistics = details.Statistics;
        return Results.Json(
            new ClientResponse(
                details.ClientId,
                details.NodeName,
                details.NodeId,
                details.Connected,
                details.ConnectionId,
                details.RemoteAddress,
                details.ConnectedSince,
                details.RoundTripTime?.TotalMilliseconds,
                statistics.BytesReceived,
                statistics.BytesSent,
                statistics.MessagesReceived,
                statistics.MessagesSent,
                details.PendingOutboundBytes,
                details.SessionId,
                details.SessionState.ToString().ToLowerInvariant(),
                details.UnacknowledgedMessages,
                groups),
            AdminJson.Default.ClientResponse);
    }

    /// <summary>Disconnects a client: <c>?code=</c> (1000 to 4999, default 1000) and <c>?reason=</c>.</summary>
    public static async Task<IResult> DisconnectAsync(string clientId, HttpRequest request, TetherServer server, CancellationToken cancellationToken)
    {
        var code = CloseCode.Normal;
        if (request.Query["code"].ToString() is { Length: > 0 } text)
        {
            code = ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1000 and <= 4999
                ? (CloseCode)number
                : throw new ArgumentException($"code '{text}' is not a close code from 1000 to 4999");
        }

        var reason = request.Query["reason"].ToString() is { Length: > 0 } given ? given : DefaultReason;
        if (reason.Length > 200)
        {
            throw new ArgumentException("reason is longer than 200 characters");
        }

        return await server.DisconnectClientAsync(clientId, code, reason, cancellationToken).ConfigureAwait(false)
            ? Results.Json(new DisconnectResponse("disconnected", (int)code, reason), AdminJson.Default.DisconnectResponse)
            : ApiResults.NotFound($"no client {clientId} is connected");
    }

    public static async Task<IResult> JoinAsync(string clientId, string group, TetherServer server, CancellationToken cancellationToken)
    {
        await server.JoinGroupAsync(clientId, group, cancellationToken).ConfigureAwait(false);
        return Results.Json(new MembershipResponse(clientId, group, Member: true), AdminJson.Default.MembershipResponse);
    }

    public static async Task<IResult> LeaveAsync(string clientId, string group, TetherServer server, CancellationToken cancellationToken)
    {
        await server.LeaveGroupAsync(clientId, group, cancellationToken).ConfigureAwait(false);
        return Results.Json(new MembershipResponse(clientId, group, Member: false), AdminJson.Default.MembershipResponse);
    }

    private static int PositiveOr(Microsoft.Extensions.Primitives.StringValues value, string name, int fallback)
    {
        var text = value.ToString();
        if (text.Length == 0)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new ArgumentException($"{name} '{text}' is not a positive whole number");
    }
}
