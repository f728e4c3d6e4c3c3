using System.Net;
using Tether.Transport;

namespace Tether.Tests.Transport;

/// <summary>The compact remote endpoint gives back exactly what it was given.</summary>
public class PeerAddressTests
{
    [Theory]
    [InlineData("127.0.0.1", 54321)]
    [InlineData("0.0.0.1", 0)]
    [InlineData("255.255.255.255", 65535)]
    [InlineData("10.1.2.3", 1)]
    public void An_IPv4_endpoint_comes_back_equal(string address, int port)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(address), port);

        Assert.Equal(endPoint, PeerAddress.From(endPoint).ToEndPoint());
    }

    [Fact]
    public void An_IPv6_endpoint_is_kept_as_it_is()
    {
        var endPoint = new IPEndPoint(IPAddress.Parse("fe80::1%2"), 443);

        Assert.Same(endPoint, PeerAddress.From(endPoint).ToEndPoint());
    }

    [Fact]
    public void No_endpoint_stays_none()
    {
        Assert.Null(PeerAddress.From(null).ToEndPoint());
        Assert.Null(default(PeerAddress).ToEndPoint());
    }
}
