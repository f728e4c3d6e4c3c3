using System.Net;
using Tether.Client;
using Tether.Hosting.Upstream;
using Tether.Server;

namespace Tether.Hosting.Tests.Support;

/// <summary>A Tether server on 127.0.0.1:0 whose handler is an <see cref="UpstreamHandler"/> delivering to an <see cref="UpstreamEndpoint"/>.</summary>
internal sealed class UpstreamServer : IAsyncDisposable
{
    private readonly List<TetherClient> _clients = [];

    private UpstreamServer(TetherServer server, UpstreamHandler handler, UpstreamEndpoint endpoint)
    {
        Server = server;
        Handler = handler;
        Endpoint = endpoint;
    }

    public TetherServer Server { get; }

    public UpstreamHandler Handler { get; }

    public UpstreamEndpoint Endpoint { get; }

    /// <summary>Options quick enough for tests: short backoff, so a recovered endpoint is retried within a moment.</summary>
    public static UpstreamOptions Options(UpstreamEndpoint endpoint) => new()
    {
        Url = endpoint.EventsUrl,
        InitialRetryDelay = TimeSpan.FromMilliseconds(10),
        MaxRetryDelay = TimeSpan.FromMilliseconds(100),
        ShutdownTimeout = TimeSpan.FromSeconds(5),
    };

    public static async Task<UpstreamServer> StartAsync(Action<UpstreamOptions>? configure = null, Action<TetherServerOptions>? server = null)
    {
        var endpoint = await UpstreamEndpoint.StartAsync();
        var options = Options(endpoint);
        configure?.Invoke(options);
        return await StartWithAsync(endpoint, new UpstreamHandler(options), server);
    }

    /// <summary>A server with <paramref name="handler"/>; the fixture owns (and disposes) it and <paramref name="endpoint"/>.</summary>
    public static async Task<UpstreamServer> StartWithAsync(UpstreamEndpoint endpoint, UpstreamHandler handler, Action<TetherServerOptions>? server = null)
    {
        var serverOptions = new TetherServerOptions { CloseLinger = TimeSpan.FromSeconds(1) };
        serverOptions.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        server?.Invoke(serverOptions);
        var tether = new TetherServer(serverOptions, handler);
        await tether.StartAsync();
        return new UpstreamServer(tether, handler, endpoint);
    }

    public async Task<TetherClient> ConnectAsync(string clientId, Action<TetherClientOptions>? configure = null)
    {
        var options = new TetherClientOptions
        {
            ClientId = clientId,
            CloseLinger = TimeSpan.FromMilliseconds(500),
            Reconnect = new ReconnectOptions { BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200) },
        };
        options.EndPoints.Add(Server.LocalEndPoints[0]);
        configure?.Invoke(options);
        var client = new TetherClient(options);
        _clients.Add(client);
        await client.ConnectAsync();
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await Server.DisposeAsync();
        await Handler.DisposeAsync();
        await Endpoint.DisposeAsync();
    }
}
