using Tether.Hostile.Wire;

namespace Tether.Hostile.Kinds;

/// <summary>
/// Opens and closes connections as fast as it can until the launch window ends, in turn: close at once, reset at
/// once, send a HELLO and close, send a HELLO and reset. It expects nothing; the good clients and the server's memory
/// show whether the churn hurt.
/// </summary>
internal static class ChurnPeer
{
    private static readonly TimeSpan ChurnConnectTimeout = TimeSpan.FromSeconds(2);

    public static async Task<PeerResult> RunAsync(PeerContext context, int index, CancellationToken cancellationToken)
    {
        var (attempts, failures) = (0, 0);
        var lastFailure = default(CloseObservation);
        while (!context.WindowEnded && !cancellationToken.IsCancellationRequested)
        {
            var variant = attempts++ % 4;
            context.CountAttempt();
            using var lease = await context.Budget.AcquireAsync(cancellationToken).ConfigureAwait(false);
            var (connection, failure) = await RawConnection.ConnectAsync(context.Settings.Target, ChurnConnectTimeout, cancellationToken).ConfigureAwait(false);
            if (connection is null)
            {
                (failures, lastFailure) = (failures + 1, failure);
                continue;
            }

            if (variant >= 2)
            {
                await connection.TrySendAsync(HelloBytes.Anonymous, cancellationToken).ConfigureAwait(false);
            }

            if (variant % 2 == 0)
            {
                connection.Dispose();
            }
            else
            {
                connection.Abort();
            }
        }

        var end = failures > 0 ? lastFailure with { End = PeerEnd.ClosedByPeer } : new CloseObservation(PeerEnd.ClosedByPeer, null, TimeSpan.Zero);
        return new PeerResult(end, CloseCodes.None, attempts, failures);
    }
}
