using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Tether.Hosting.Tests;

/// <summary>Hosts without defaults (no appsettings.json, no environment) with the configuration a test gives.</summary>
internal static class TestHosts
{
    public static HostApplicationBuilder Builder(params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)));
        return builder;
    }
}
