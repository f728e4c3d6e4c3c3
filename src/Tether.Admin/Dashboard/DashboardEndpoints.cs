using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Admin.Hosting;
using Tether.Server;

namespace Tether.Admin.Dashboard;

/// <summary>Maps the live dashboard on the admin listener.</summary>
internal static class DashboardEndpoints
{
    /// <summary>The path of the dashboard's data endpoint (behind the API key like the rest of <c>/api</c>).</summary>
    public const string DataPath = "/api/dashboard";

    /// <summary>
    /// Serves the dashboard page at <c>/</c> and its data at <c>GET /api/dashboard?after=SEQ</c>, for the
    /// <see cref="TetherServer"/> registered in the endpoints' services. The page itself carries no data, so it is
    /// marked anonymous (the admin listener's key check lets it through); <c>/api/dashboard</c> needs the key.
    /// </summary>
    public static IEndpointConventionBuilder MapTetherDashboard(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapTetherDashboard(endpoints.ServiceProvider.GetRequiredService<TetherServer>());
    }

    /// <summary>Serves the dashboard page at <c>/</c> and its data at <c>GET /api/dashboard</c> for <paramref name="server"/>.</summary>
    public static IEndpointConventionBuilder MapTetherDashboard(this IEndpointRouteBuilder endpoints, TetherServer server)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(server);
        var services = endpoints.ServiceProvider;
        var options = ReadOptions(services);
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var logger = services.GetService<ILoggerFactory>()?.CreateLogger("Tether.Admin.Dashboard") ?? NullLogger.Instance;
        var log = new DashboardLog(logger);

        var sampler = new DashboardSampler(() => (server.Connections.Count, server.Sessions.Count), options.HistorySeconds, time);
        var scans = new LiveScanCache(server, options, time, log);
        var lifetime = services.GetService<IHostApplicationLifetime>();
        lifetime?.ApplicationStopping.Register(sampler.Dispose);
        log.Started(options.HistorySeconds);

        var group = endpoints.MapGroup("");
        group.MapGet("/", (HttpContext context) =>
        {
            var headers = context.Response.Headers;
            headers.CacheControl = "no-store";
            headers.ContentSecurityPolicy = DashboardPage.ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            return Results.Bytes(DashboardPage.Html, "text/html; charset=utf-8");
        }).AllowAnonymous().ExcludeFromDescription();

        group.MapGet(DataPath, async (HttpContext context, long? after) =>
        {
            var live = scans.Get();
            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            var json = new Utf8JsonWriter(context.Response.Body);
            await using (json.ConfigureAwait(false))
            {
                DashboardJson.Write(json, time.GetUtcNow(), server.Connections.Count, server.Sessions.Count, live, sampler.Ring.After(after ?? 0));
                await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            }
        }).ExcludeFromDescription();

        return group;
    }

    // The section Tether:Admin:Dashboard of the host's configuration (the admin app runs in a host of its own, so the
    // settings live in the outer one); defaults when there is none. Checked here, so a bad value stops the start.
    private static DashboardOptions ReadOptions(IServiceProvider services)
    {
        var options = new DashboardOptions();
        var configuration = services.GetService<OuterServices>()?.Services.GetService<IConfiguration>() ?? services.GetService<IConfiguration>();
        configuration?.GetSection(DashboardOptions.SectionName).Bind(options);
        options.Validate();
        return options;
    }
}
