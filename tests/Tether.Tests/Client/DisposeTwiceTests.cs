using Tether.Client;
using Tether.Tests.Support;

namespace Tether.Tests.Client;

/// <summary>
/// Disposing twice is harmless, as for any <see cref="IAsyncDisposable"/>: an <c>await using</c> plus an explicit
/// dispose in a handler or a finally is common in applications.
/// </summary>
public sealed class DisposeTwiceTests
{
    [Fact]
    public async Task A_connected_client_disposed_twice_does_not_throw()
    {
        await using var server = await ServerFixture.StartAsync();
        var client = new TetherClient(ClientFactory.Options(server.EndPoint));
        await client.ConnectAsync();

        await client.DisposeAsync();
        await client.DisposeAsync();

        Assert.Equal(ClientState.Closed, client.State);
    }

    [Fact]
    public async Task A_client_never_connected_disposed_twice_does_not_throw()
    {
        await using var server = await ServerFixture.StartAsync();
        var client = new TetherClient(ClientFactory.Options(server.EndPoint));

        await client.DisposeAsync();
        await client.DisposeAsync();

        Assert.Equal(ClientState.Closed, client.State);
    }
}
