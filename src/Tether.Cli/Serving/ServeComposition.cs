using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tether.Cli.Hosting;
using Tether.Hosting;
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
        services.AddTetherServer(provider => CreateHandler(settings.App, provider.GetRequiredService<ILoggerFactory>()), options => CopySettings(settings.Options, options));
    }

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
