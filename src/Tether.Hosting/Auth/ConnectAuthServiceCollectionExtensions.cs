using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tether.Authentication;

namespace Tether.Hosting.Auth;

/// <summary>Registers connect authorisation through an HTTP back end in a service collection.</summary>
public static class ConnectAuthServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="HttpConnectAuthOptions"/> (bound from <c>Tether:Auth</c>, then <paramref name="configure"/>;
    /// validated at start) and a singleton <see cref="HttpConnectAuthenticator"/>, also as the
    /// <see cref="IConnectionAuthenticator"/>: set it on the server's options.
    /// </summary>
    public static IServiceCollection AddTetherConnectAuth(this IServiceCollection services, Action<HttpConnectAuthOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<HttpConnectAuthOptions>().BindConfiguration(HttpConnectAuthOptions.SectionName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<HttpConnectAuthOptions>, ConnectAuthOptionsValidation>();
        services.AddSingleton(provider => new HttpConnectAuthenticator(
            provider.GetRequiredService<IOptions<HttpConnectAuthOptions>>().Value,
            provider.GetService<ILoggerFactory>(),
            provider.GetService<IMeterFactory>(),
            provider.GetService<TimeProvider>()));
        services.AddSingleton<IConnectionAuthenticator>(provider => provider.GetRequiredService<HttpConnectAuthenticator>());
        return services;
    }
}
