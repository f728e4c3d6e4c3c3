using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tether.Admin.Api;
using Tether.Admin.Dashboard;
using Tether.Admin.Operations;
using Tether.Admin.Security;
using Tether.Server;

namespace Tether.Admin.Hosting;

/// <summary>
/// Composes the admin listener's own slim ASP.NET Core app: Kestrel on one address, the key check, the API, health,
/// metrics, the dashboard and the OpenAPI document, sharing the host's server, logging and services.
/// </summary>
internal static class AdminApp
{
    public static WebApplication Build(AdminAppContext context)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(AdminApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = context.Options.MaxRequestBodySize;
            kestrel.Listen(context.Endpoint);
        });

        // The host's logging, not a second console logger; the host's signals, not a second console lifetime.
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(context.LoggerFactory);
        builder.Services.AddSingleton<IHostLifetime, DetachedLifetime>();

        builder.Services.AddSingleton(context.Server);
        builder.Services.AddSingleton(context.Admin);
        builder.Services.AddSingleton(context.Options);
        builder.Services.AddSingleton(context.Key);
        builder.Services.AddSingleton(new OuterServices(context.OuterServices));
        builder.Services.AddSingleton<AdminLog>();
        builder.Services.AddSingleton<AdminMetrics>();
        builder.Services.AddMetrics();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, AdminJson.Default));
        builder.Services.AddOpenApi();
        builder.Services.AddTetherTelemetry();

        var app = builder.Build();
        app.Use(CountAnswers);
        app.UseRouting();
        app.UseMiddleware<ApiKeyMiddleware>();

        app.MapOpenApi();
        app.MapTetherApi();
        app.MapTetherHealth();
        app.MapTetherMetrics();
        app.MapTetherDashboard();
        return app;
    }

    private static async Task CountAnswers(HttpContext context, RequestDelegate next)
    {
        await next(context).ConfigureAwait(false);
        var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
        context.RequestServices.GetRequiredService<AdminMetrics>().Answered(route, context.Response.StatusCode);
    }
}

/// <summary>What the admin app is built from.</summary>
internal sealed record AdminAppContext(
    IPEndPoint Endpoint,
    AdminApiKey Key,
    AdminOptions Options,
    TetherServer Server,
    TetherAdmin Admin,
    ILoggerFactory LoggerFactory,
    IServiceProvider OuterServices);
