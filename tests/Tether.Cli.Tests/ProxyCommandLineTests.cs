using System.Net;
using Tether.Cli.Commands;

namespace Tether.Cli.Tests;

/// <summary><c>tether proxy</c> from argv to addresses, without running anything.</summary>
public class ProxyCommandLineTests
{
    [Fact]
    public void Listen_defaults_to_a_free_loopback_port()
    {
        var (listen, target) = Proxy("--target", "127.0.0.1:7447");
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 0), listen);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7447), target);
    }

    [Fact]
    public void Takes_every_option()
    {
        var (listen, target) = Proxy("-l", ":7448", "-t", "example.com:7447", "--port-file", "p", "--json");
        Assert.Equal(new IPEndPoint(IPAddress.Any, 7448), listen);
        Assert.Equal(new DnsEndPoint("example.com", 7447), target);
    }

    [Theory]
    [InlineData("tether: Option '--target' is required (see 'tether proxy --help')")]
    [InlineData("tether: --listen: cannot listen on 'nope': use an IP address, localhost, or :PORT for all interfaces (see 'tether proxy --help')", "--target", "127.0.0.1:1", "--listen", "nope:1")]
    [InlineData("tether: --target: '127.0.0.1:0': cannot connect to port 0 (see 'tether proxy --help')", "--target", "127.0.0.1:0")]
    [InlineData("tether: --target: '::1:7447': put IPv6 addresses in brackets, e.g. [::1]:7447 (see 'tether proxy --help')", "--target", "::1:7447")]
    public void Parse_errors_are_one_line_naming_the_option(string expected, params string[] args)
    {
        var parse = CliApp.CreateRootCommand().Parse(["proxy", .. args]);
        Assert.NotEmpty(parse.Errors);
        Assert.Equal(expected, CliApp.DescribeParseErrors(parse));
    }

    private static (IPEndPoint Listen, EndPoint Target) Proxy(params string[] args)
    {
        var parse = CliApp.CreateRootCommand().Parse(["proxy", .. args]);
        Assert.Empty(parse.Errors);
        return Assert.IsType<ProxyCommand>(parse.CommandResult.Command).BuildOptions(parse);
    }
}
