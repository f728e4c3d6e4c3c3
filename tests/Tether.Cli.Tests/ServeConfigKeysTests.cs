using Tether.Cli.Commands;
using Tether.Cli.Serving;

namespace Tether.Cli.Tests;

public sealed class ServeConfigKeysTests
{
    [Fact]
    public void Every_serve_flag_but_config_itself_has_exactly_one_configuration_key()
    {
        var flags = new ServeCommand().Options.Select(option => option.Name).Where(name => name is not "--config" and not "--help" and not "-h").Order();

        Assert.Equal(flags, ServeConfigKeys.All.Select(entry => entry.Flag).Order());
        Assert.Equal(ServeConfigKeys.All.Count, ServeConfigKeys.All.Select(entry => entry.Key).Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }
}
