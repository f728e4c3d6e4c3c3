using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Tether.Client;
using Tether.Server;

namespace Tether.Hosting.Tests;

public sealed class HostLifetimeTests
{
    [Fact]
    public async Task The_server_listens_with_the_host_and_a_client_host_connects_and_exchanges_a_message()
    {
        var serverBuilder = TestHosts.Builder(("Tether:Server:EndPoints:0", "127.0.0.1:0"));
        serverBuilder.Services.AddTetherServer<RecordingHandler>();
        using var serverHost = serverBuilder.Build();
        await serverHost.StartAsync();
        var server = serverHost.Services.GetRequiredService<TetherServer>();

        var clientBuilder = TestHosts.Builder(("Tether:Client:EndPoints:0", server.LocalEndPoints[0].ToString()), ("Tether:Client:ClientId", "device-1"));
        clientBuilder.Services.AddTetherClient();
        using var clientHost = clientBuilder.Build();
        await clientHost.StartAsync();
        var client = clientHost.Services.GetRequiredService<TetherClient>();

        await client.SendAsync(Encoding.UTF8.GetBytes("hello"));
        await using var replies = client.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await replies.MoveNextAsync());
        Assert.Equal("hello", Encoding.UTF8.GetString(replies.Current.Span));
        Assert.Single(server.Connections);

        await clientHost.StopAsync();
        await serverHost.StopAsync();
    }

    [Fact]
    public async Task Stopping_the_host_drains_the_server_with_goaway()
    {
        var builder = TestHosts.Builder(("Tether:Server:EndPoints:0", "127.0.0.1:0"), ("Tether:Server:ShutdownDrainTimeout", "5s"));
        builder.Services.AddTetherServer<RecordingHandler>();
        using var host = builder.Build();
        await host.StartAsync();
        var server = host.Services.GetRequiredService<TetherServer>();
        var handler = host.Services.GetRequiredService<RecordingHandler>();

        var options = new TetherClientOptions { ClientId = "device-1" };
        options.EndPoints.Add(server.LocalEndPoints[0]);
        options.Reconnect.Enabled = false;
        await using var client = new TetherClient(options);
        var left = new TaskCompletionSource<DisconnectInfo?>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, e) =>
        {
            if (e.Disconnect is not null)
            {
                left.TrySetResult(e.Disconnect);
            }
        };
        await client.ConnectAsync();
        await handler.Connected.WaitAsync(TimeSpan.FromSeconds(20));

        await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(20));

        var seen = await left.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(DisconnectReason.GoingAway, seen?.Reason);
        // The client left on GOAWAY, so the server saw it close; the drain did not have to cut it off.
        Assert.Equal(DisconnectReason.ClosedByPeer, Assert.Single(handler.Disconnects).Reason);
    }
}
