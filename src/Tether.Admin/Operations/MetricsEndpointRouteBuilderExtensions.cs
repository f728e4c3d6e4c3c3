using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Tether.Admin;

/// <summary>Maps the Prometheus scrape endpoint of Tether's metrics.</summary>
public static class MetricsEndpointRouteBuilderExtensions
{
    /// <summary>The path Prometheus scrapes.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>
    /// Serves every Tether instrument as Prometheus text at <c>/metrics</c> (names as in docs/operations.md, e.g.
    /// <c>tether_connections_active</c>). Needs <see cref="TelemetryServiceCollectionExtensions.AddTetherTelemetry"/>;
    /// the returned builder lets the admin listener put its API key check on the endpoint.
    /// </summary>
    public static IEndpointConventionBuilder MapTetherMetrics(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.ServiceProvider.GetService<TelemetryRegistration>() is null)
        {
            throw new InvalidOperationException("MapTetherMetrics needs services.AddTetherTelemetry() first");
        }

        return endpoints.MapPrometheusScrapingEndpoint(MetricsPath);
    }
}
