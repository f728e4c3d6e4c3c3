using System.Diagnostics;
using Tether.Hostile.Wire;
using Tether.Protocol;

namespace Tether.Hostile.Kinds;

/// <summary>What every peer of one kind shares: the settings, the socket budget, and when the launch window ends.</summary>
internal sealed class PeerContext(HostileSettings settings, SocketBudget budget, int kindOrdinal, long windowEnd)
{
    private long _attempts;

    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    public HostileSettings Settings { get; } = settings;

    public SocketBudget Budget { get; } = budget;

    /// <summary>How long a peer waits for the server to close it: long enough for a handshake timeout, plus grace.</summary>
    public TimeSpan CloseWait => Settings.HandshakeTimeout + Settings.Grace;

    /// <summary>True once continuous peers (churners, flooders) should stop.</summary>
    public bool WindowEnded => Stopwatch.GetTimestamp() >= windowEnd;

    /// <summary>Time left in the launch window.</summary>
    public TimeSpan WindowLeft => WindowEnded ? TimeSpan.Zero : Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), windowEnd);

    /// <summary>Connections opened so far by the continuous peers, for the progress line.</summary>
    public long Attempts => Interlocked.Read(ref _attempts);

    public void CountAttempt() => Interlocked.Increment(ref _attempts);

    /// <summary>The same random bytes for the same seed, kind and peer, so that a surprising peer can be replayed.</summary>
    public Random RandomFor(int index) => new(unchecked((Settings.Seed * 1_000_003) + (kindOrdinal * 65_537) + index) & int.MaxValue);

    /// <summary>Opens a connection within the socket budget; the lease must be disposed with the connection.</summary>
    public async Task<(SocketBudget.Lease Lease, RawConnection? Connection, CloseObservation Failure)> ConnectAsync(CancellationToken cancellationToken)
    {
        var lease = await Budget.AcquireAsync(cancellationToken).ConfigureAwait(false);
        var (connection, failure) = await RawConnection.ConnectAsync(Settings.Target, ConnectTimeout, cancellationToken).ConfigureAwait(false);
        if (connection is null)
        {
            lease.Dispose();
        }

        return (lease, connection, failure);
    }

    /// <summary>
    /// Connects within the socket budget, runs <paramref name="body"/> on the connection and closes it. A connect that
    /// fails is the peer's result, judged against <paramref name="expected"/> like any other ending.
    /// </summary>
    public async Task<PeerResult> WithConnectionAsync(IReadOnlySet<CloseCode> expected, Func<RawConnection, Task<PeerResult>> body, CancellationToken cancellationToken)
    {
        var (lease, connection, failure) = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        using (lease)
        {
            if (connection is null)
            {
                return new PeerResult(failure, expected);
            }

            using (connection)
            {
                return await body(connection).ConfigureAwait(false);
            }
        }
    }
}
