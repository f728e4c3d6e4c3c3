using Tether.Hostile.Wire;

namespace Tether.Hostile.Kinds;

/// <summary>
/// A slowloris: connects and never completes its HELLO. Peers take turns sending nothing, half a header, or a HELLO
/// header claiming the largest handshake body and then its bytes one at a time, too slowly to ever finish.
/// </summary>
internal static class StallerPeer
{
    private static readonly TimeSpan TrickleInterval = TimeSpan.FromMilliseconds(250);

    public static async Task<PeerResult> RunAsync(PeerContext context, int index, CancellationToken cancellationToken)
    {
        return await context.WithConnectionAsync(CloseCodes.HandshakeTimeout, async connection =>
        {
            using var stopTrickle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var trickle = (index % 3) switch
            {
                0 => Task.CompletedTask,
                1 => connection.TrySendAsync(HelloBytes.EndlessHeader[..3], cancellationToken).AsTask(),
                _ => TrickleAsync(connection, stopTrickle.Token),
            };
            var observation = await connection.WaitForCloseAsync(context.CloseWait, cancellationToken).ConfigureAwait(false);
            await stopTrickle.CancelAsync().ConfigureAwait(false);
            await trickle.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return new PeerResult(observation, CloseCodes.HandshakeTimeout);
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task TrickleAsync(RawConnection connection, CancellationToken cancellationToken)
    {
        if (!await connection.TrySendAsync(HelloBytes.EndlessHeader, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        // The body of a real HELLO, then zeros: 8,192 bytes at four a second would take half an hour.
        var body = HelloBytes.Anonymous[Protocol.ProtocolConstants.HeaderSize..];
        using var timer = new PeriodicTimer(TrickleInterval);
        for (var sent = 0; await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false); sent++)
        {
            var next = sent < body.Length ? body.Slice(sent, 1) : new byte[1];
            if (!await connection.TrySendAsync(next, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }
}
