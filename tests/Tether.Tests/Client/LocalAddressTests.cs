using System.Net;
using Tether.Client;
using Tether.Tests.Support;

namespace Tether.Tests.Client;

public sealed class LocalAddressTests
{
    [Fact]
    public async Task A_client_connects_from_the_local_address_it_is_given()
    {
        await using var server = await ServerFixture.StartAsync();
        var options = ClientFactory.Options(server.EndPoint);
        options.LocalAddress = IPAddress.Parse("127.0.0.3");
        await using var client = new TetherClient(options);

        await client.ConnectAsync();

        var connection = await server.Handler.NextConnectedAsync();
        Assert.Equal(IPAddress.Parse("127.0.0.3"), ((IPEndPoint)connection.RemoteEndPoint!).Address);
    }
}
