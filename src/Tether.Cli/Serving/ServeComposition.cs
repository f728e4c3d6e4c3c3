using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tether.Admin;
using Tether.Cli.Hosting;
using Tether.Hosting;
using Tether.Hosting.Auth;
using Tether.Hosting.Upstream;
using Tether.Server;

namespace Tether.Cli.Serving;

/// <summary>
/// The services of the <c>tether serve</c> host: the one place where features are added (the server and its handler
/// today; an admin listener or upstream delivery are added here, each only when its setting is given, so that a plain
/// server loads nothing more).
/// </summary>
internal static class ServeComposition
{
    public static void AddServices(IServiceCollection services, ServeSettings settings)
    {
        // The command drives start and stop itself (two-stage Ctrl-C/SIGTERM, see ShutdownSignal): no console
        // lifetime, and no host timeout cutting a drain short (a second signal does that).
        services.AddSingleton<IHostLifetime, CommandLifetime>();
        services.Configure<HostOptions>(host => host.ShutdownTimeout = Timeout.InfiniteTimeSpan);
        var admin = settings.Parse.GetValue<string>("--admin");
        if (admin is not null)
        {
            // Before the server: hosted services start in order and stop in reverse, so the admin listener (and its
            // metrics) is up before the first client connects, and /health/ready still answers while the server drains.
            AddAdmin(services, admin, settings.Parse.GetValue<string>("--api-key-file"));
        }

        var upstreamUrl = settings.Parse.GetValue<string>("--upstream-url");
        if (upstreamUrl is not null)
        {
            // Without an explicit --app, what clients send goes only to the back end.
            var app = settings.Parse.GetValue<ServeApp?>("--app");
            services.AddTetherUpstream(
                options => options.Url = upstreamUrl,
                provider => app is { } given ? CreateHandler(given, provider.GetRequiredService<ILoggerFactory>()) : null);
            services.AddTetherServer(provider => provider.GetRequiredService<UpstreamHandler>(), options => CopySettings(settings.Options, options));
        }
        else
        {
            services.AddTetherServer(provider => CreateHandler(settings.App, provider.GetRequiredService<ILoggerFactory>()), options => CopySettings(settings.Options, options));
        }

        if (settings.Parse.GetValue<string>("--auth-url") is { } authUrl)
        {
            services.AddTetherConnectAuth(options => options.Url = authUrl);
            services.AddOptions<TetherServerOptions>().Configure<HttpConnectAuthenticator>((options, authenticator) => options.Authenticator = authenticator);
        }
    }

    // A method of its own: a server without --admin never loads the admin assembly.
    private static void AddAdmin(IServiceCollection services, string listen, string? apiKeyFile) =>
        services.AddTetherAdmin(options =>
        {
            options.Listen = listen;
            options.ApiKeyFile = apiKeyFile ?? options.ApiKeyFile;
        });

    private static readonly string[] PartSections = ["Tether:Admin", "Tether:Upstream", "Tether:Auth", "Tether:Telemetry"];

    /// <summary>The sections the optional parts bind their settings from (the file and environment of --config).</summary>
    public static IEnumerable<KeyValuePair<string, string?>> PartSettings(IConfiguration configuration) =>
        PartSections.SelectMany(section => configuration.GetSection(section).AsEnumerable())
            .Where(pair => pair.Value is not null);

    private static TetherServerHandler CreateHandler(ServeApp app, ILoggerFactory loggerFactory) => app == ServeApp.Broadcast
        ? new BroadcastHandler(loggerFactory.CreateLogger<BroadcastHandler>())
        : new EchoHandler(loggerFactory.CreateLogger<EchoHandler>());

    /// <summary>The options the command built (and checked) become the host's server options.</summary>
    private static void CopySettings(TetherServerOptions from, TetherServerOptions to)
    {
        foreach (var property in typeof(TetherServerOptions).GetProperties())
        {
            if (property.CanRead && property.CanWrite)
            {
                property.SetValue(to, property.GetValue(from));
            }
        }

        foreach (var endPoint in from.EndPoints)
        {
            to.EndPoints.Add(endPoint);
        }

        foreach (var listener in from.Listeners)
        {
            to.Listeners.Add(listener);
        }
    }
}
