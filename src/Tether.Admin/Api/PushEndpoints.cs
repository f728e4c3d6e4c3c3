using Microsoft.AspNetCore.Http;
using Tether.Server;

namespace Tether.Admin.Api;

/// <summary><c>POST /api/clients/{clientId}/messages</c>, <c>POST /api/groups/{group}/messages</c>, <c>POST /api/broadcast</c>.</summary>
internal static class PushEndpoints
{
    public static async Task<IResult> PushToClientAsync(string clientId, HttpRequest request, TetherServer server, AdminOptions options, CancellationToken cancellationToken)
    {
        var body = await RequestBody.ReadAsync(request, AdminJson.Default.PushRequest, cancellationToken).ConfigureAwait(false);
        var message = RequestBody.Payload(body.Data, body.Base64);
        if (body.WaitForAck)
        {
            return await PushAndWaitAsync(clientId, message, server, options, cancellationToken).ConfigureAwait(false);
        }

        if (server.Connections.TryGetByClientId(clientId, out var connection) && connection.State == ConnectionState.Open)
        {
            if (body.Reliable && connection.Session is null)
            {
                return NoSession(clientId);
            }

            await connection.SendAsync(message, cancellationToken).ConfigureAwait(false);
            return Results.Json(new PushResponse("delivered", server.NodeName), AdminJson.Default.PushResponse);
        }

        if (server.Sessions.TryGetByClientId(clientId, out var session) && !session.IsLost && server.Options.ScaleOut is null)
        {
            await session.SendAsync(message, cancellationToken).ConfigureAwait(false);
            return Results.Json(new PushResponse("queued", server.NodeName), AdminJson.Default.PushResponse);
        }

        // In a cluster: connected to another node (delivered through it), or a session kept in Redis (queued there).
        var location = server.Options.ScaleOut is null ? null : await server.LocateClientAsync(clientId, cancellationToken).ConfigureAwait(false);
        if (!await server.SendToClientAsync(clientId, message, cancellationToken).ConfigureAwait(false))
        {
            return Unknown(clientId);
        }

        return Results.Json(
            location is null ? new PushResponse("queued") : new PushResponse("delivered", location.NodeName),
            AdminJson.Default.PushResponse);
    }

    public static async Task<IResult> PushToGroupAsync(string group, HttpRequest request, TetherServer server, CancellationToken cancellationToken)
    {
        var body = await RequestBody.ReadAsync(request, AdminJson.Default.FanOutRequest, cancellationToken).ConfigureAwait(false);
        var count = await server.SendToGroupAsync(group, RequestBody.Payload(body.Data, body.Base64), cancellationToken).ConfigureAwait(false);
        return Results.Json(new FanOutResponse(count, server.NodeName), AdminJson.Default.FanOutResponse);
    }

    public static async Task<IResult> BroadcastAsync(HttpRequest request, TetherServer server, CancellationToken cancellationToken)
    {
        var body = await RequestBody.ReadAsync(request, AdminJson.Default.FanOutRequest, cancellationToken).ConfigureAwait(false);
        var count = await server.BroadcastAsync(RequestBody.Payload(body.Data, body.Base64), cancellationToken).ConfigureAwait(false);
        return Results.Json(new FanOutResponse(count, server.NodeName), AdminJson.Default.FanOutResponse);
    }

    private static async Task<IResult> PushAndWaitAsync(string clientId, byte[] message, TetherServer server, AdminOptions options, CancellationToken cancellationToken)
    {
        var outcome = await server.SendToClientAndWaitForAckAsync(clientId, message, options.AckTimeout, cancellationToken).ConfigureAwait(false);
        return outcome switch
        {
            AcknowledgedSend.Acknowledged => Results.Json(new PushResponse("delivered", Acknowledged: true), AdminJson.Default.PushResponse),
            AcknowledgedSend.UnknownClient => Unknown(clientId),
            AcknowledgedSend.NoSession => NoSession(clientId),
            AcknowledgedSend.SessionLost => Failed(StatusCodes.Status410Gone, "lost", $"the session of {clientId} was lost before it acknowledged the message"),
            _ => Failed(StatusCodes.Status504GatewayTimeout, "queued", $"{clientId} did not acknowledge the message within {options.AckTimeout.TotalSeconds:0.###} s (it stays in the session and may still arrive)"),
        };
    }

    private static IResult Unknown(string clientId) =>
        Failed(StatusCodes.Status404NotFound, "unknown", $"no client {clientId} is connected or has a session");

    private static IResult NoSession(string clientId) =>
        Failed(StatusCodes.Status409Conflict, "refused", $"{clientId} is connected without a reliable session: it cannot keep or acknowledge the message (push without reliable/waitForAck)");

    private static IResult Failed(int status, string state, string error) =>
        Results.Json(new PushResponse(state, Error: error), AdminJson.Default.PushResponse, statusCode: status);
}
