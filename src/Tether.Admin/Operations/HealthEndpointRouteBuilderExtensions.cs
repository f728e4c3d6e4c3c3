using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Server;

namespace Tether.Admin;

/// <summary>Maps the liveness and readiness probes of a Tether server.</summary>
public static class HealthEndpointRouteBuilderExtensions
{
    /// <summary>The liveness probe's path.</summary>
    public const string LivePath = "/health/live";

    /// <summary>The readiness probe's path.</summary>
    public const string ReadyPath = "/health/ready";

    /// <summary>The meter of the admin listener's own instruments.</summary>
    internal const string MeterName = "Tether.Admin";

    /// <summary>As <see cref="MapTetherHealth(IEndpointRouteBuilder, TetherServer)"/>, for the <see cref="TetherServer"/> registered in the endpoints' services.</summary>
    public static IEndpointConventionBuilder MapTetherHealth(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapTetherHealth(endpoints.ServiceProvider.GetRequiredService<TetherServer>());
    }

    /// <summary>
    /// Serves <c>GET /health/live</c> (200 while <paramref name="server"/> can serve its connections, else 503) and
    /// <c>GET /health/ready</c> (503 from the moment a stop begins, before the first GOAWAY, and while a required
    /// dependency is down: with scale-out, Redis; else 200), each with a JSON body listing its checks and why. ASP.NET
    /// Core health checks tagged <c>live</c> or <c>ready</c> join the matching probe. The probes need no API key: they
    /// allow anonymous requests, and the admin listener's key check must leave <c>/health</c> open.
    /// </summary>
    public static IEndpointConventionBuilder MapTetherHealth(this IEndpointRouteBuilder endpoints, TetherServer server)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(server);
        var services = endpoints.ServiceProvider;
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger("Tether.Admin.Health") ?? NullLogger.Instance;
        var meter = services.GetService<IMeterFactory>()?.Create(MeterName) ?? new Meter(MeterName);
        var failures = meter.CreateCounter<long>("tether.health.probe_failures", "{answer}", "Probe answers that were not live or not ready, tagged with probe.");
        var probes = new TetherProbes(server, services.GetService<HealthCheckService>(), new OperationsLog(logger), failures);

        var group = endpoints.MapGroup("/health");
        group.MapMethods("/live", [HttpMethods.Get, HttpMethods.Head], context => AnswerAsync(context, probes.LiveAsync));
        group.MapMethods("/ready", [HttpMethods.Get, HttpMethods.Head], context => AnswerAsync(context, probes.ReadyAsync));
        group.AllowAnonymous();
        return group;
    }

    private static async Task AnswerAsync(HttpContext context, Func<CancellationToken, Task<ProbeReport>> probe)
    {
        var report = await probe(context.RequestAborted).ConfigureAwait(false);
        context.Response.Headers.CacheControl = "no-store";
        var result = Results.Json(report, OperationsJsonContext.Default.ProbeReport, statusCode: report.Ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        await result.ExecuteAsync(context).ConfigureAwait(false);
    }
}
