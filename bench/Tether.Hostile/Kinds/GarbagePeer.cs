namespace Tether.Hostile.Kinds;

/// <summary>
/// Sends random bytes, even-numbered peers from the first byte, odd-numbered ones right after a valid HELLO has been
/// welcomed, then waits to be closed with a code the spec allows for exactly those bytes.
/// </summary>
internal static class GarbagePeer
{
    public static async Task<PeerResult> RunAsync(PeerContext context, int index, CancellationToken cancellationToken)
    {
        var random = context.RandomFor(index);
        return await context.WithConnectionAsync(CloseCodes.ProtocolError, async connection =>
        {
            byte[] garbage;
            IReadOnlySet<Protocol.CloseCode> expected;
            if (index % 2 == 0)
            {
                (garbage, expected) = GarbageBytes.BeforeHandshake(random);
            }
            else
            {
                var (welcome, ended) = await connection.HandshakeAsync(context.CloseWait, cancellationToken).ConfigureAwait(false);
                if (welcome is null)
                {
                    return new PeerResult(ended, CloseCodes.ProtocolError);
                }

                (garbage, expected) = GarbageBytes.AfterHandshake(random, welcome.MaxFrameSize);
            }

            await connection.TrySendAsync(garbage, cancellationToken).ConfigureAwait(false);
            return new PeerResult(await connection.WaitForCloseAsync(context.CloseWait, cancellationToken).ConfigureAwait(false), expected);
        }, cancellationToken).ConfigureAwait(false);
    }
}
