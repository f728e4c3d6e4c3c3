using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tether.Server;

namespace Tether.Hosting.Upstream;

/// <summary>Registers upstream delivery in a service collection.</summary>
public static class UpstreamServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="UpstreamOptions"/> (bound from <c>Tether:Upstream</c>, then <paramref name="configure"/>;
    /// validated at start, one error per bad setting) and a singleton <see cref="UpstreamHandler"/> around the handler
    /// <paramref name="inner"/> returns (if any). Use that handler as the server's; the container disposes it, which
    /// delivers what is still queued (so the server must stop first, as a hosted service does).
    /// </summary>
    public static IServiceCollection AddTetherUpstream(
        this IServiceCollection services,
        Action<UpstreamOptions>? configure = null,
        Func<IServiceProvider, TetherServerHandler?>? inner = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<UpstreamOptions>().BindConfiguration(UpstreamOptions.SectionName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<UpstreamOptions>, UpstreamOptionsValidation>();
        services.AddSingleton(provider => new UpstreamHandler(
            provider.GetRequiredService<IOptions<UpstreamOptions>>().Value,
            inner?.Invoke(provider),
            provider.GetService<ILoggerFactory>(),
            provider.GetService<IMeterFactory>(),
            provider.GetService<TimeProvider>()));
        return services;
    }
}
