using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Tether.Hosting.Configuration;

/// <summary>Fills <typeparamref name="TOptions"/> from a configuration section, when the host has a configuration.</summary>
internal sealed class ConfigurationBinding<TOptions>(IConfiguration? configuration, string sectionPath, BindingProblems<TOptions> problems)
    : IConfigureOptions<TOptions>
    where TOptions : class
{
    public void Configure(TOptions options)
    {
        if (configuration is null)
        {
            return;
        }

        lock (problems)
        {
            problems.Items.Clear();
            OptionsBinder.Bind(configuration.GetSection(sectionPath), options, problems.Items);
        }
    }
}
