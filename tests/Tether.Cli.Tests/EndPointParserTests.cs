using System.Net;
using Tether.Cli.Parsing;

namespace Tether.Cli.Tests;

public class EndPointParserTests
{
    [Theory]
    [InlineData("127.0.0.1:7447", "127.0.0.1:7447")]
    [InlineData("[::1]:7447", "[::1]:7447")]
    [InlineData("0.0.0.0:7447", "0.0.0.0:7447")]
    [InlineData("localhost:7447", "127.0.0.1:7447")]
    [InlineData("LOCALHOST:1", "127.0.0.1:1")]
    [InlineData(":7447", "0.0.0.0:7447")]
    [InlineData("[::]:7447", "[::]:7447")]
    [InlineData("127.0.0.1:0", "127.0.0.1:0")]
    [InlineData("127.0.0.1", "127.0.0.1:7447")]
    [InlineData("[::1]", "[::1]:7447")]
    [InlineData(" 10.1.2.3:65535 ", "10.1.2.3:65535")]
    public void Listen_accepts_addresses(string text, string expected)
    {
        Assert.True(EndPointParser.TryParseListen(text, out var endPoint, out var error), error);
        Assert.Equal(expected, endPoint!.ToString());
    }

    [Theory]
    [InlineData("example.com:7447", "use an IP address")]
    [InlineData("127.0.0.1:65536", "invalid port")]
    [InlineData("127.0.0.1:-1", "invalid port")]
    [InlineData("127.0.0.1:http", "invalid port")]
    [InlineData("127.0.0.1:", "missing the port")]
    [InlineData("::1:7447", "brackets")]
    [InlineData("[::1:7447", "closing ']'")]
    [InlineData("[::1]7447", "[IPv6]:PORT")]
    [InlineData("[127.0.0.1]:7447", "not an IPv6 address")]
    [InlineData("127.1:7447", "invalid IPv4 address")]
    [InlineData("256.0.0.1:7447", "invalid IPv4 address")]
    [InlineData("7447", "no host")]
    [InlineData("", "required")]
    [InlineData("bad host:1", "invalid host")]
    public void Listen_rejects_with_a_reason(string text, string reason)
    {
        Assert.False(EndPointParser.TryParseListen(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Connect_keeps_host_names_for_dns()
    {
        Assert.True(EndPointParser.TryParseConnect("example.com:7447", out var endPoint, out _));
        var dns = Assert.IsType<DnsEndPoint>(endPoint);
        Assert.Equal("example.com", dns.Host);
        Assert.Equal(7447, dns.Port);
    }

    [Theory]
    [InlineData("127.0.0.1:7447", "127.0.0.1:7447")]
    [InlineData("[::1]:7447", "[::1]:7447")]
    [InlineData("localhost:9000", "127.0.0.1:9000")]
    [InlineData("localhost", "127.0.0.1:7447")]
    public void Connect_resolves_literals_and_localhost(string text, string expected)
    {
        Assert.True(EndPointParser.TryParseConnect(text, out var endPoint, out var error), error);
        Assert.Equal(expected, Assert.IsType<IPEndPoint>(endPoint).ToString());
    }

    [Theory]
    [InlineData(":7447", "host is required")]
    [InlineData("127.0.0.1:0", "port 0")]
    [InlineData("host:99999", "invalid port")]
    public void Connect_rejects_what_cannot_be_dialled(string text, string reason)
    {
        Assert.False(EndPointParser.TryParseConnect(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
