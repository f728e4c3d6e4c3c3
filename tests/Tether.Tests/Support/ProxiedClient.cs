using Microsoft.Extensions.Time.Testing;
using Tether.Client;
using Tether.FaultProxy;

namespace Tether.Tests.Support;

/// <summary>A started server, a fault proxy in front of it, and a client connected through the proxy.</summary>
internal sealed class ProxiedClient : IAsyncDisposable
{
    private ProxiedClient(ServerFixture server, TcpFaultProxy proxy, TetherClient client, StateRecorder states)
    {
        Server = server;
        Proxy = proxy;
        Client = client;
        States = states;
    }

    public ServerFixture Server { get; }

    public TcpFaultProxy Proxy { get; }

    public TetherClient Client { get; }

    public StateRecorder States { get; }

    public static async Task<ProxiedClient> ConnectAsync(Action<TetherClientOptions>? configure = null, FakeTimeProvider? time = null, FakeTimeProvider? serverTime = null)
    {
        var server = await ServerFixture.StartAsync(o => o.Heartbeat.TickInterval = TimeSpan.FromMilliseconds(250), serverTime);
        var proxy = TcpFaultProxy.Start(server.EndPoint);
        var options = ClientFactory.Options(proxy.EndPoint);
        configure?.Invoke(options);
        var client = new TetherClient(options, null, time);
        var states = new StateRecorder(client);
        await client.ConnectAsync();
        return new ProxiedClient(server, proxy, client, states);
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Proxy.DisposeAsync();
        await Server.DisposeAsync();
    }
}
