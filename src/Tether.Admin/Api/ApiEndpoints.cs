using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Tether.Admin.Api;

/// <summary>Maps the push and admin API under <c>/api</c>.</summary>
internal static class ApiEndpoints
{
    public static IEndpointRouteBuilder MapTetherApi(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api").AddEndpointFilter(ApiErrorFilter.InvokeAsync);
        api.MapGet("/info", InfoEndpoint.GetAsync)
            .WithName("GetInfo")
            .WithSummary("Version, uptime, nodes, counts and limits.")
            .Produces<InfoResponse>()
            .Produces<ApiError>(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }
}
