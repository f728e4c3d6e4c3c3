using System.Buffers;
using System.Collections.Concurrent;
using Tether.Server;

namespace Tether.Hosting.Tests;

/// <summary>Echoes, and records who connected and why each one left.</summary>
internal sealed class RecordingHandler : TetherServerHandler
{
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<DisconnectInfo> Disconnects { get; } = new();

    public Task Connected => _connected.Task;

    public override ValueTask OnConnectedAsync(TetherConnection connection)
    {
        _connected.TrySetResult();
        return ValueTask.CompletedTask;
    }

    public override async ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message) =>
        await connection.SendAsync(message.ToArray()).ConfigureAwait(false);

    public override ValueTask OnDisconnectedAsync(TetherConnection connection, DisconnectInfo info)
    {
        Disconnects.Enqueue(info);
        return ValueTask.CompletedTask;
    }
}
