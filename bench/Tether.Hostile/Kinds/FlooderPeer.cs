using System.Buffers;
using Tether.Hostile.Wire;
using Tether.Protocol;

namespace Tether.Hostile.Kinds;

/// <summary>
/// A valid client (HELLO, no session) that sends DATA as fast as it can, reading the echoes so that it is never a slow
/// consumer, until the server closes it. Expects RATE_LIMITED (run the server with a
/// message rate it can be sure to exceed, e.g. <c>--max-message-rate 5000</c>).
/// </summary>
internal static class FlooderPeer
{
    private const int PayloadBytes = 1024;
    private const int FramesPerWrite = 64;

    private static readonly ReadOnlyMemory<byte> Burst = EncodeBurst();

    public static async Task<PeerResult> RunAsync(PeerContext context, int index, CancellationToken cancellationToken)
    {
        context.CountAttempt();
        return await context.WithConnectionAsync(CloseCodes.RateLimited, async connection =>
        {
            var (welcome, ended) = await connection.HandshakeAsync(context.CloseWait, cancellationToken).ConfigureAwait(false);
            if (welcome is null)
            {
                return new PeerResult(ended, CloseCodes.RateLimited);
            }

            using var stopFlood = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var flood = FloodAsync(connection, stopFlood.Token);
            var observation = await connection.WaitForCloseAsync(context.WindowLeft + context.Settings.Grace, cancellationToken).ConfigureAwait(false);
            await stopFlood.CancelAsync().ConfigureAwait(false);
            await flood.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return new PeerResult(observation, CloseCodes.RateLimited);
        }, cancellationToken).ConfigureAwait(false);
    }

    private static async Task FloodAsync(RawConnection connection, CancellationToken cancellationToken)
    {
        while (await connection.TrySendAsync(Burst, cancellationToken).ConfigureAwait(false))
        {
        }
    }

    private static byte[] EncodeBurst()
    {
        var writer = new ArrayBufferWriter<byte>();
        var payload = new byte[PayloadBytes];
        for (var i = 0; i < FramesPerWrite; i++)
        {
            FrameWriter.WriteData(writer, payload);
        }

        return writer.WrittenSpan.ToArray();
    }
}
