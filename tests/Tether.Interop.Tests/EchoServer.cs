using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using Tether.Heartbeat;
using Tether.Server;

namespace Tether.Interop.Tests;

/// <summary>An in-process Tether server on 127.0.0.1:0 that echoes every message and records what it saw.</summary>
internal sealed class EchoServer : IAsyncDisposable
{
    private readonly TetherServer _server;

    private EchoServer(TetherServer server, EchoHandler handler)
    {
        _server = server;
        Handler = handler;
    }

    public EchoHandler Handler { get; }

    public int Port => _server.LocalEndPoints[0].Port;

    public static async Task<EchoServer> StartAsync(HeartbeatOptions? heartbeat = null)
    {
        var options = new TetherServerOptions { ServerId = "interop-test" };
        options.EndPoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        if (heartbeat is not null)
        {
            options.Heartbeat = heartbeat;
        }

        var handler = new EchoHandler();
        var server = new TetherServer(options, handler);
        await server.StartAsync();
        return new EchoServer(server, handler);
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();
}

internal sealed class EchoHandler : TetherServerHandler
{
    private readonly TaskCompletionSource<DisconnectInfo> _firstDisconnect = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<byte[]> Messages { get; } = new();

    public ConcurrentQueue<DisconnectInfo> Disconnects { get; } = new();

    /// <summary>The first connection's end, as the server reports it (at most <see cref="PythonClient.Timeout"/>).</summary>
    public Task<DisconnectInfo> FirstDisconnectAsync() => _firstDisconnect.Task.WaitAsync(PythonClient.Timeout);

    public override async ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message)
    {
        var copy = message.ToArray();
        Messages.Enqueue(copy);
        await connection.SendAsync(copy);
    }

    public override ValueTask OnDisconnectedAsync(TetherConnection connection, DisconnectInfo info)
    {
        Disconnects.Enqueue(info);
        _firstDisconnect.TrySetResult(info);
        return ValueTask.CompletedTask;
    }
}
