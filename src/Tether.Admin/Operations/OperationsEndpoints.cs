using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Tether.Admin.Operations;

// PLACEHOLDER in the API branch, so that the admin listener's composition compiles: the "ops" part replaces this file
// with the real health probes, Prometheus endpoint and telemetry set-up when the branches are merged.
internal static class OperationsEndpoints
{
    public static IServiceCollection AddTetherTelemetry(this IServiceCollection services) => services;

    public static IEndpointRouteBuilder MapTetherHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/health/live", () => Results.Text("live"));
        return endpoints;
    }

    public static IEndpointRouteBuilder MapTetherMetrics(this IEndpointRouteBuilder endpoints) => endpoints;
}
