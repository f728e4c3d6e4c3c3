using System.Net.Sockets;

namespace Tether.FaultProxy;

/// <summary>
/// Writes one chunk under the slice and black-hole faults, re-reading the direction's fault before each piece so
/// that a mode change applies mid-chunk.
/// </summary>
internal static class ChunkSender
{
    public static async ValueTask SendAsync(
        TcpFaultProxy proxy, FaultDirection direction, Socket destination, Chunk chunk, CancellationToken cancellationToken)
    {
        var offset = 0;
        while (offset < chunk.Count)
        {
            var fault = proxy.Faults.Get(direction);
            if (fault.Mode == FaultMode.BlackHole)
            {
                return; // The rest of the chunk is lost, as it would be in a dead network.
            }

            var slicing = fault.Mode == FaultMode.Slice;
            var length = slicing ? Math.Min(chunk.Count - offset, fault.SliceBytes) : chunk.Count - offset;
            var piece = chunk.Buffer.AsMemory(offset, length);
            while (!piece.IsEmpty)
            {
                var sent = await destination.SendAsync(piece, SocketFlags.None, cancellationToken).ConfigureAwait(false);
                piece = piece[sent..];
            }

            offset += length;
            proxy.AddForwarded(length);

            // Without a pause, pieces written back to back are often read together by the receiver.
            if (slicing && fault.SlicePause > TimeSpan.Zero)
            {
                await Task.Delay(fault.SlicePause, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
