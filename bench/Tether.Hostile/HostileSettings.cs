using System.Net;

namespace Tether.Hostile;

/// <summary>What one run of the hostile mix does: the target, how many peers of each kind, and the bounds it checks.</summary>
internal sealed record HostileSettings
{
    public required IPEndPoint Target { get; init; }

    /// <summary>The server's process id, for its resident memory; null skips the memory check (reported as such).</summary>
    public int? ServerPid { get; init; }

    /// <summary>The whole hostile phase: peers are launched spread over it and the last ones are closed by its end.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The server's handshake timeout: stallers expect HANDSHAKE_TIMEOUT after this long.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a peer waits beyond the moment the server should have closed it before calling it still open.</summary>
    public TimeSpan Grace { get; init; } = TimeSpan.FromSeconds(3);

    public int Good { get; init; } = 20;

    /// <summary>Messages per second each good client sends.</summary>
    public int GoodRate { get; init; } = 50;

    public int Garbage { get; init; } = 2000;

    public int Stallers { get; init; } = 1000;

    public int Oversized { get; init; } = 500;

    /// <summary>Peers whose first frame is not HELLO and stops mid-body (see <c>TruncatedPeer</c>).</summary>
    public int Truncated { get; init; } = 200;

    /// <summary>Concurrent open-and-close loops, each running for the launch window.</summary>
    public int Churners { get; init; } = 16;

    /// <summary>
    /// Valid clients that send DATA as fast as they can (expect RATE_LIMITED). Run the server with a message rate well
    /// below what one connection can push on the machine (e.g. <c>--max-message-rate 5000</c>), or a flooder held back by
    /// a busy machine may never go over the default.
    /// </summary>
    public int Flooders { get; init; } = 10;

    /// <summary>Hostile sockets open at the same time, at most: the process may open 20,000 files in all.</summary>
    public int MaxSockets { get; init; } = 5000;

    /// <summary>Seeds the random bytes, so that a failing garbage peer can be replayed.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Growth over the baseline allowed for the server's RSS, as a fraction (0.25 = 25 %).</summary>
    public double RssGrowth { get; init; } = 0.25;

    /// <summary>Growth always allowed, whatever the baseline (a small baseline would make 25 % a few MiB).</summary>
    public long RssFloorBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>
    /// When peers are launched: from the start until the last staller launched can still be closed by the server's
    /// handshake timeout before the run ends.
    /// </summary>
    public TimeSpan LaunchWindow => Max(TimeSpan.Zero, Duration - HandshakeTimeout - TimeSpan.FromSeconds(1));

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
