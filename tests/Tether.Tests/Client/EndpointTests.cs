using System.Net;
using Tether.Client;

namespace Tether.Tests.Client;

public sealed class EndpointTests
{
    private static readonly EndPoint A = new IPEndPoint(IPAddress.Loopback, 1);
    private static readonly EndPoint B = new IPEndPoint(IPAddress.Loopback, 2);
    private static readonly EndPoint C = new IPEndPoint(IPAddress.Loopback, 3);

    [Fact]
    public void Failover_walks_down_the_list_and_returns_to_the_top_after_a_success()
    {
        var selector = new EndpointSelector([A, B, C], EndpointSelection.Failover);

        Assert.Equal([A, B, C, A], [selector.Next(), selector.Next(), selector.Next(), selector.Next()]);
        selector.OnConnected();
        Assert.Equal(A, selector.Next());
    }

    [Fact]
    public void Round_robin_keeps_rotating_after_a_success()
    {
        var selector = new EndpointSelector([A, B, C], EndpointSelection.RoundRobin);

        Assert.Equal(A, selector.Next());
        selector.OnConnected();
        Assert.Equal(B, selector.Next());
        Assert.Equal(C, selector.Next());
    }

    [Fact]
    public void A_server_hint_is_tried_once_first()
    {
        var selector = new EndpointSelector([A, B], EndpointSelection.Failover);
        selector.Prefer(C);

        Assert.Equal([C, A, B], [selector.Next(), selector.Next(), selector.Next()]);
    }

    [Theory]
    [InlineData("127.0.0.1:7447", "127.0.0.1:7447")]
    [InlineData("[::1]:80", "[::1]:80")]
    [InlineData("example.com:7447", "example.com:7447")]
    public void Host_port_text_parses(string text, string expected)
    {
        Assert.True(EndPointText.TryParse(text, out var endPoint));
        Assert.Equal(expected, endPoint is DnsEndPoint dns ? $"{dns.Host}:{dns.Port}" : endPoint.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("7447")]
    [InlineData("host:")]
    [InlineData("host:99999")]
    [InlineData("::1:80")]
    [InlineData("bad host:80")]
    public void Malformed_host_port_text_is_refused(string text) => Assert.False(EndPointText.TryParse(text, out _));
}
