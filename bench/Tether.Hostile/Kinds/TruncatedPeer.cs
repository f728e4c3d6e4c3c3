using System.Buffers.Binary;
using Tether.Protocol;

namespace Tether.Hostile.Kinds;

/// <summary>
/// Sends, as its first bytes, the header of a frame that is not HELLO with a small length, and only part of its body.
/// Section 4.6 has the server reject it from the type byte alone (1002), without waiting for the body; a server that
/// waits holds the connection until its handshake timeout instead.
/// </summary>
internal static class TruncatedPeer
{
    public static async Task<PeerResult> RunAsync(PeerContext context, int index, CancellationToken cancellationToken)
    {
        var random = context.RandomFor(index);
        return await context.WithConnectionAsync(CloseCodes.ProtocolError, async connection =>
        {
            var length = random.Next(2, 1024);
            var bytes = new byte[ProtocolConstants.HeaderSize + random.Next(length)];
            random.NextBytes(bytes);
            bytes[0] = (byte)random.Next(2, 256);
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(2), (uint)length);
            var expected = GarbageOracle.BeforeHandshake(bytes) ?? CloseCodes.ProtocolError;
            await connection.TrySendAsync(bytes, cancellationToken).ConfigureAwait(false);
            return new PeerResult(await connection.WaitForCloseAsync(context.CloseWait, cancellationToken).ConfigureAwait(false), expected);
        }, cancellationToken).ConfigureAwait(false);
    }
}
