using Tether.Cli.Commands;
using Tether.Cli.Soak;

namespace Tether.Cli.Tests.Soak;

/// <summary><c>tether soak</c> from argv to <see cref="SoakOptions"/>, without running anything.</summary>
public class SoakCommandLineTests
{
    [Fact]
    public void Defaults_are_fifty_clients_for_thirty_seconds_with_a_fault_every_five()
    {
        var options = Soak();
        Assert.Equal(50, options.Clients);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Duration);
        Assert.Equal(TimeSpan.FromSeconds(5), options.FaultEvery);
        Assert.Equal(TimeSpan.FromSeconds(15), options.RestartEvery);
        Assert.False(options.RestartServer);
        Assert.True(options.InProcessServer);
        Assert.Null(options.Seed);
        Assert.False(options.Json);
    }

    [Fact]
    public void Every_option_is_taken()
    {
        var options = Soak("--clients", "200", "--duration", "1m", "--fault-every", "1.5s", "--restart-server", "--rate", "50", "--seed", "7", "--json");
        Assert.Equal(200, options.Clients);
        Assert.Equal(TimeSpan.FromMinutes(1), options.Duration);
        Assert.Equal(TimeSpan.FromSeconds(1.5), options.FaultEvery);
        Assert.Equal(TimeSpan.FromSeconds(4.5), options.RestartEvery);
        Assert.True(options.RestartServer);
        Assert.Equal(50, options.Rate);
        Assert.Equal(7, options.Seed);
        Assert.True(options.Json);
    }

    [Fact]
    public void A_target_replaces_the_in_process_server()
    {
        var options = Soak("--target", "localhost:7447");
        Assert.False(options.InProcessServer);
        Assert.Equal("127.0.0.1:7447", options.Target!.ToString());
    }

    [Fact]
    public void Restarting_an_external_server_is_a_usage_error()
    {
        var ex = Assert.Throws<CliException>(() => Soak("--target", "127.0.0.1:7447", "--restart-server"));
        Assert.Equal(ExitCodes.Usage, ex.ExitCode);
        Assert.Contains("--restart-server", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tether: --clients: must be at least 1, not 0 (see 'tether soak --help')", "--clients", "0")]
    [InlineData("tether: --duration: must be more than zero (see 'tether soak --help')", "--duration", "0")]
    [InlineData("tether: --fault-every: 'often' is not a duration (e.g. 250ms, 30s, 1.5s, 2m, 1h) (see 'tether soak --help')", "--fault-every", "often")]
    [InlineData("tether: --rate: 'fast' is not a whole number (see 'tether soak --help')", "--rate", "fast")]
    [InlineData("tether: --target: '127.0.0.1:0': cannot connect to port 0 (see 'tether soak --help')", "--target", "127.0.0.1:0")]
    public void Parse_errors_are_one_line_naming_the_option(string expected, params string[] args)
    {
        var parse = CliApp.CreateRootCommand().Parse(["soak", .. args]);
        Assert.NotEmpty(parse.Errors);
        Assert.Equal(expected, CliApp.DescribeParseErrors(parse));
    }

    private static SoakOptions Soak(params string[] args)
    {
        var parse = CliApp.CreateRootCommand().Parse(["soak", .. args]);
        Assert.Empty(parse.Errors);
        return Assert.IsType<SoakCommand>(parse.CommandResult.Command).BuildOptions(parse);
    }
}
