using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Tether.Admin.Api;

/// <summary>Maps the push and admin API under <c>/api</c>, at exactly the documented paths.</summary>
internal static class ApiEndpoints
{
    public static IEndpointRouteBuilder MapTetherApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api").AddEndpointFilter(ApiErrorFilter.InvokeAsync);

        api.MapGet("/info", InfoEndpoint.GetAsync)
            .WithName("GetInfo").WithSummary("Version, uptime, nodes, counts and limits.")
            .Produces<InfoResponse>();

        api.MapPost("/clients/{clientId}/messages", PushEndpoints.PushToClientAsync)
            .WithName("PushToClient").WithSummary("Push to one client id: {\"data\":\"text\"} or {\"base64\":\"...\"}, optionally reliable and waitForAck.")
            .Accepts<PushRequest>("application/json")
            .Produces<PushResponse>()
            .Produces<PushResponse>(StatusCodes.Status404NotFound)
            .Produces<PushResponse>(StatusCodes.Status409Conflict)
            .Produces<PushResponse>(StatusCodes.Status410Gone)
            .Produces<PushResponse>(StatusCodes.Status504GatewayTimeout);

        api.MapPost("/groups/{group}/messages", PushEndpoints.PushToGroupAsync)
            .WithName("PushToGroup").WithSummary("Push to every member of a group.")
            .Accepts<FanOutRequest>("application/json")
            .Produces<FanOutResponse>();

        api.MapPost("/broadcast", PushEndpoints.BroadcastAsync)
            .WithName("Broadcast").WithSummary("Push to every connection and session.")
            .Accepts<FanOutRequest>("application/json")
            .Produces<FanOutResponse>();

        api.MapPut("/clients/{clientId}/groups/{group}", ClientEndpoints.JoinAsync)
            .WithName("JoinGroup").WithSummary("Add a client id to a group (kept across reconnects).")
            .Produces<MembershipResponse>();

        api.MapDelete("/clients/{clientId}/groups/{group}", ClientEndpoints.LeaveAsync)
            .WithName("LeaveGroup").WithSummary("Remove a client id from a group.")
            .Produces<MembershipResponse>();

        api.MapGet("/clients", ClientEndpoints.ListAsync)
            .WithName("ListClients").WithSummary("Connected client ids, paged: ?limit=&cursor= or ?page=&pageSize=.")
            .Produces<ClientsPage>();

        api.MapGet("/clients/{clientId}", ClientEndpoints.GetAsync)
            .WithName("GetClient").WithSummary("A client's node, address, traffic, session and groups.")
            .Produces<ClientResponse>()
            .Produces<ApiError>(StatusCodes.Status404NotFound)
            .Produces<ApiError>(StatusCodes.Status504GatewayTimeout);

        api.MapDelete("/clients/{clientId}", ClientEndpoints.DisconnectAsync)
            .WithName("DisconnectClient").WithSummary("Disconnect a client: ?code= (1000-4999) and ?reason=.")
            .Produces<DisconnectResponse>()
            .Produces<ApiError>(StatusCodes.Status404NotFound)
            .Produces<ApiError>(StatusCodes.Status504GatewayTimeout);
        return endpoints;
    }
}
