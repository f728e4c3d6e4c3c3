using System.Buffers;
using Tether.Server;

namespace Tether.Benchmarks;

/// <summary>
/// Echoes every message back without allocating. The message is a view of the receive buffer that stays valid until
/// the returned task completes, and <see cref="TetherConnection.SendAsync"/> copies it into the outbound queue, so a
/// single-segment message is sent straight from the receive buffer. A multi-segment message (not produced by the
/// current transport) is first copied into a per-connection array that is reused for every message.
/// </summary>
internal sealed class EchoHandler : TetherServerHandler
{
    private const string ScratchKey = "bench.echo.scratch";

    public override ValueTask OnConnectedAsync(TetherConnection connection)
    {
        connection.Items[ScratchKey] = new byte[1024];
        return ValueTask.CompletedTask;
    }

    public override ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message)
    {
        if (message.IsSingleSegment)
        {
            return connection.SendAsync(message.First);
        }

        var scratch = (byte[])connection.Items[ScratchKey]!;
        if (scratch.Length < message.Length)
        {
            scratch = new byte[(int)message.Length];
            connection.Items[ScratchKey] = scratch;
        }

        message.CopyTo(scratch);
        return connection.SendAsync(scratch.AsMemory(0, (int)message.Length));
    }
}
