using System.Buffers.Binary;
using Tether.Protocol;

namespace Tether.Hostile.Kinds;

/// <summary>
/// Announces a frame larger than the server accepts and sends only its header and a few body bytes: even-numbered
/// peers a HELLO over the 8,192-byte handshake limit, odd-numbered ones a DATA frame over the maximum the WELCOME
/// announced. The server must refuse it from the header (1004), without waiting for or allocating the body.
/// </summary>
internal static class OversizedPeer
{
    private const int BodyBytesSent = 16;

    public static async Task<PeerResult> RunAsync(PeerContext context, int index, CancellationToken cancellationToken)
    {
        var random = context.RandomFor(index);
        return await context.WithConnectionAsync(CloseCodes.FrameTooLarge, async connection =>
        {
            var (type, limit) = (FrameType.Hello, (uint)ProtocolConstants.HandshakeMaxBodySize);
            if (index % 2 == 1)
            {
                var (welcome, ended) = await connection.HandshakeAsync(context.CloseWait, cancellationToken).ConfigureAwait(false);
                if (welcome is null)
                {
                    return new PeerResult(ended, CloseCodes.FrameTooLarge);
                }

                (type, limit) = (FrameType.Data, welcome.MaxFrameSize);
            }

            var frame = new byte[ProtocolConstants.HeaderSize + BodyBytesSent];
            random.NextBytes(frame);
            frame[0] = (byte)type;
            frame[1] = 0;
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(2), (uint)random.NextInt64((long)limit + 1, (long)uint.MaxValue + 1));
            await connection.TrySendAsync(frame, cancellationToken).ConfigureAwait(false);
            return new PeerResult(await connection.WaitForCloseAsync(context.CloseWait, cancellationToken).ConfigureAwait(false), CloseCodes.FrameTooLarge);
        }, cancellationToken).ConfigureAwait(false);
    }
}
