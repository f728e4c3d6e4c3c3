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

    private static readonly EndPoint D = new IPEndPoint(IPAddress.Loopback, 4);

    [Fact]
    public void Server_alternates_are_tried_once_each_in_order_then_the_list_resumes()
    {
        var selector = new EndpointSelector([A, B], EndpointSelection.Failover);
        selector.UseAlternates([C, D]);

        Assert.Equal([C, D, A, B, A], [selector.Next(), selector.Next(), selector.Next(), selector.Next(), selector.Next()]);
    }

    [Fact]
    public void A_later_list_replaces_what_is_left_of_an_earlier_one_and_an_empty_one_keeps_it()
    {
        var selector = new EndpointSelector([A], EndpointSelection.Failover);
        selector.UseAlternates([B, C]);
        Assert.Equal(B, selector.Next());

        selector.UseAlternates([]);
        Assert.Equal(C, selector.Next());

        selector.UseAlternates([C, D]);
        selector.UseAlternates([D]);
        Assert.Equal([D, A], [selector.Next(), selector.Next()]);
    }

    [Fact]
    public void Alternates_are_forgotten_once_a_connection_opens()
    {
        var selector = new EndpointSelector([A, B], EndpointSelection.Failover);
        selector.UseAlternates([C, D]);
        Assert.Equal(C, selector.Next());

        selector.OnConnected();

        Assert.Equal([A, B], [selector.Next(), selector.Next()]);
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
