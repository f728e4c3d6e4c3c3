using System.Net;
using Tether.Server;

namespace Tether.Tests.Support;

/// <summary>A started server on 127.0.0.1:0 with a recording handler; disposes everything.</summary>
internal sealed class ServerFixture : IAsyncDisposable
{
    private ServerFixture(TetherServer server, RecordingHandler handler)
    {
        Server = server;
        Handler = handler;
    }

    public TetherServer Server { get; }

    public RecordingHandler Handler { get; }

    public IPEndPoint EndPoint => Server.LocalEndPoints[0];

    public static async Task<ServerFixture> StartAsync(Action<TetherServerOptions>? configure = null, TimeProvider? time = null, RecordingHandler? handler = null, int port = 0)
    {
        var options = new TetherServerOptions();
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, port));
        options.CloseLinger = TimeSpan.FromSeconds(1);
        configure?.Invoke(options);
        handler ??= new RecordingHandler();
        var server = new TetherServer(options, handler, null, time);
        await server.StartAsync();
        return new ServerFixture(server, handler);
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
