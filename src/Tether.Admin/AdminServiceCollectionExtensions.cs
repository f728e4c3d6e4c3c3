using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Tether.Admin.Hosting;

namespace Tether.Admin;

/// <summary>Adds the admin listener (push and admin API, health, metrics, dashboard) to a host.</summary>
public static class AdminServiceCollectionExtensions
{
    /// <summary>
    /// Adds the admin listener: its options bound from the configuration section <c>Tether:Admin</c> (then
    /// <paramref name="configure"/>), the injectable <see cref="TetherAdmin"/>, and a hosted service that runs the
    /// listener with the host when <see cref="AdminOptions.Listen"/> is set. It serves the <c>TetherServer</c> of the
    /// host's services; register the server before this, so that it starts first and stops last.
    /// </summary>
    public static IServiceCollection AddTetherAdmin(this IServiceCollection services, Action<AdminOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var builder = services.AddOptions<AdminOptions>().BindConfiguration(AdminOptions.SectionName);
        if (configure is not null)
        {
            builder.Configure(configure);
        }

        services.TryAddSingleton<TetherAdmin>();
        services.AddSingleton<AdminHostedService>();
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredService<AdminHostedService>());
        return services;
    }
}
