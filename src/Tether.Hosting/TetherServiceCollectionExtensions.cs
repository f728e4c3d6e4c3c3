using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tether.Client;
using Tether.Hosting.Configuration;
using Tether.Server;

namespace Tether.Hosting;

/// <summary>
/// Tether in a .NET Generic Host. Options are bound from the host's configuration (<see cref="TetherConfigurationSections"/>:
/// appsettings.json, <c>Tether__Server__Heartbeat__Interval=30s</c> environment variables, the command line), then the
/// code delegate runs, and they are validated when the host starts, with one error per bad key. Meters come from the
/// host's <see cref="IMeterFactory"/>, logs go to its <see cref="ILoggerFactory"/>. One server and one client per
/// container.
/// </summary>
public static class TetherServiceCollectionExtensions
{
    /// <summary>
    /// Adds a <see cref="TetherServer"/> (resolvable from the container) whose handler is <typeparamref name="THandler"/>
    /// from the container, started with the host and drained when it stops; its options come from configuration only.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddTetherServer<THandler>(this IServiceCollection services)
        where THandler : TetherServerHandler => services.AddTetherServer<THandler>(_ => { });

    /// <summary>
    /// Adds a <see cref="TetherServer"/> (resolvable from the container) whose handler is <typeparamref name="THandler"/>
    /// from the container, started with the host and drained when it stops.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Settings applied after configuration: listeners with framings, TLS, an authenticator.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddTetherServer<THandler>(this IServiceCollection services, Action<TetherServerOptions> configure)
        where THandler : TetherServerHandler
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<THandler>();
        return services.AddTetherServer(provider => provider.GetRequiredService<THandler>(), configure);
    }

    /// <summary>
    /// Adds a <see cref="TetherServer"/> (resolvable from the container) whose handler <paramref name="handlerFactory"/>
    /// makes, started with the host and drained when it stops.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="handlerFactory">Makes the server's handler, once, from the container.</param>
    /// <param name="configure">Settings applied after configuration: listeners with framings, TLS, an authenticator.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddTetherServer(this IServiceCollection services, Func<IServiceProvider, TetherServerHandler> handlerFactory, Action<TetherServerOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(handlerFactory);
        AddOptions(services, TetherConfigurationSections.Server, configure, options => options.Validate(), (options, meters) => options.MeterFactory ??= meters);
        services.AddSingleton(provider => new TetherServer(
            provider.GetRequiredService<IOptions<TetherServerOptions>>().Value,
            handlerFactory(provider),
            provider.GetService<ILoggerFactory>(),
            provider.GetService<TimeProvider>()));
        services.AddHostedService<TetherServerHostedService>();
        return services;
    }

    /// <summary>
    /// Adds a <see cref="TetherClient"/> (resolvable from the container, without a handler: read it with
    /// <see cref="TetherClient.ReadAllAsync"/>) that connects when the host starts and closes when it stops; its options
    /// come from configuration only.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddTetherClient(this IServiceCollection services) => services.AddTetherClient(_ => { });

    /// <summary>
    /// Adds a <see cref="TetherClient"/> (resolvable from the container, without a handler: read it with
    /// <see cref="TetherClient.ReadAllAsync"/>) that connects when the host starts and closes when it stops.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Settings applied after configuration: TLS, a token.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddTetherClient(this IServiceCollection services, Action<TetherClientOptions> configure) =>
        services.AddTetherClient(_ => null, configure);

    /// <summary>
    /// Adds a <see cref="TetherClient"/> (resolvable from the container) whose handler is <typeparamref name="THandler"/>
    /// from the container, connected when the host starts and closed when it stops.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Settings applied after configuration (TLS, a token), or null.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddTetherClient<THandler>(this IServiceCollection services, Action<TetherClientOptions>? configure)
        where THandler : TetherClientHandler
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<THandler>();
        return services.AddTetherClient(provider => provider.GetRequiredService<THandler>(), configure);
    }

    private static IServiceCollection AddTetherClient(this IServiceCollection services, Func<IServiceProvider, TetherClientHandler?> handlerFactory, Action<TetherClientOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        AddOptions(services, TetherConfigurationSections.Client, configure, options => options.Validate(), (options, meters) => options.MeterFactory ??= meters);
        services.AddSingleton(provider => new TetherClient(
            provider.GetRequiredService<IOptions<TetherClientOptions>>().Value,
            handlerFactory(provider),
            provider.GetService<ILoggerFactory>(),
            provider.GetService<TimeProvider>()));
        services.AddHostedService<TetherClientHostedService>();
        return services;
    }

    /// <summary>Configuration first, then the code delegate, then the host's meter factory; validated at start.</summary>
    private static void AddOptions<TOptions>(IServiceCollection services, string section, Action<TOptions>? configure, Action<TOptions> validate, Action<TOptions, IMeterFactory?> useMeters)
        where TOptions : class
    {
        var problems = new BindingProblems<TOptions>();
        services.AddSingleton<IConfigureOptions<TOptions>>(provider => new ConfigurationBinding<TOptions>(provider.GetService<IConfiguration>(), section, problems));
        var builder = services.AddOptions<TOptions>();
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        builder.PostConfigure<IServiceProvider>((options, provider) => useMeters(options, provider.GetService<IMeterFactory>()));
        services.AddSingleton<IValidateOptions<TOptions>>(new TetherOptionsValidator<TOptions>(section, problems, validate));
        builder.ValidateOnStart();
    }
}
