using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Channels;
using Tether.Server;
using Tether.Sessions;

namespace Tether.Tests.Support;

/// <summary>A server handler that echoes (optionally) and records every event for assertions.</summary>
internal class RecordingHandler : TetherServerHandler
{
    private readonly Channel<TetherConnection> _connected = Channel.CreateUnbounded<TetherConnection>();
    private readonly Channel<(TetherConnection Connection, DisconnectInfo Info)> _disconnected = Channel.CreateUnbounded<(TetherConnection, DisconnectInfo)>();
    private readonly Channel<(TetherConnection Connection, byte[] Message)> _messages = Channel.CreateUnbounded<(TetherConnection, byte[])>();

    private readonly Channel<SessionLostInfo> _sessionsLost = Channel.CreateUnbounded<SessionLostInfo>();

    public bool Echo { get; init; } = true;

    public ConcurrentQueue<string> Order { get; } = new();

    public override ValueTask OnConnectedAsync(TetherConnection connection)
    {
        Order.Enqueue($"connected {connection.Id}");
        _connected.Writer.TryWrite(connection);
        return ValueTask.CompletedTask;
    }

    public override async ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message)
    {
        var copy = message.ToArray();
        Order.Enqueue($"message {connection.Id}");
        _messages.Writer.TryWrite((connection, copy));
        if (Echo)
        {
            await connection.SendAsync(copy);
        }
    }

    public override ValueTask OnDisconnectedAsync(TetherConnection connection, DisconnectInfo info)
    {
        Order.Enqueue($"disconnected {connection.Id}");
        _disconnected.Writer.TryWrite((connection, info));
        return ValueTask.CompletedTask;
    }

    public override ValueTask OnSessionLostAsync(SessionLostInfo info)
    {
        _sessionsLost.Writer.TryWrite(info);
        return ValueTask.CompletedTask;
    }

    public Task<SessionLostInfo> NextSessionLostAsync() => _sessionsLost.Reader.ReadAsync().AsTask().WaitAsync(Timeouts.Event);

    public bool TryGetSessionLost(out SessionLostInfo? info) => _sessionsLost.Reader.TryRead(out info);

    public Task<TetherConnection> NextConnectedAsync() => _connected.Reader.ReadAsync().AsTask().WaitAsync(Timeouts.Event);

    public Task<(TetherConnection Connection, DisconnectInfo Info)> NextDisconnectedAsync() => _disconnected.Reader.ReadAsync().AsTask().WaitAsync(Timeouts.Event);

    public Task<(TetherConnection Connection, byte[] Message)> NextMessageAsync() => _messages.Reader.ReadAsync().AsTask().WaitAsync(Timeouts.Event);

    public bool TryGetDisconnected(out (TetherConnection Connection, DisconnectInfo Info) item) => _disconnected.Reader.TryRead(out item);
}
