using System.Net;
using Tether.Cluster;
using Tether.Heartbeat;
using Tether.Server;

namespace Tether.Cli.Soak;

/// <summary>
/// The in-process server of a soak, on 127.0.0.1 with a port chosen once, and its restarts: the old server is stopped
/// (GOAWAY, short drain) and a new one started on the same port, so that the proxies in front of it need not change.
/// A restart loses every session, which clients and the new server must report.
/// </summary>
internal sealed class SoakServerHost : IAsyncDisposable
{
    // Rebinding the same port can briefly fail while the old listener is being torn down.
    private static readonly TimeSpan RebindFor = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RebindPause = TimeSpan.FromMilliseconds(100);

    private readonly TetherServerHandler _handler;
    private readonly ScaleOutOptions? _scaleOut;
    private readonly TimeProvider _time;
    private volatile TetherServer? _current;

    private SoakServerHost(TetherServerHandler handler, ScaleOutOptions? scaleOut, TimeProvider time, TetherServer server)
    {
        _handler = handler;
        _scaleOut = scaleOut;
        _time = time;
        _current = server;
        EndPoint = server.LocalEndPoints[0];
    }

    /// <summary>Where the server listens (the same across restarts).</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The running server; null between the end of one and the start of the next.</summary>
    public TetherServer? Current => _current;

    /// <summary>
    /// Starts the server; with <paramref name="scaleOut"/> it is a node of the cluster (one no client connects to: its
    /// pushes reach the clients through Redis, on whichever node they are).
    /// </summary>
    public static async Task<SoakServerHost> StartAsync(TetherServerHandler handler, TimeProvider time, ScaleOutOptions? scaleOut = null)
    {
        var server = Create(new IPEndPoint(IPAddress.Loopback, 0), handler, scaleOut, time);
        try
        {
            await server.StartAsync().ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new SoakServerHost(handler, scaleOut, time, server);
    }

    /// <summary>Restarts the server every <paramref name="every"/> until <paramref name="stop"/>; a restart under way is completed.</summary>
    public async Task RunRestartsAsync(TimeSpan every, SoakCounters counters, CancellationToken stop)
    {
        while (true)
        {
            try
            {
                await Task.Delay(every, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await RestartAsync().ConfigureAwait(false);
            counters.Restarted();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _current, null) is { } server)
        {
            await server.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static TetherServer Create(IPEndPoint endPoint, TetherServerHandler handler, ScaleOutOptions? scaleOut, TimeProvider time)
    {
        var options = new TetherServerOptions
        {
            // The clients propose 1 s / 3 s; a fine wheel honours that closely.
            Heartbeat = new HeartbeatOptions { Interval = TimeSpan.FromSeconds(1), Timeout = TimeSpan.FromSeconds(3), TickInterval = TimeSpan.FromMilliseconds(50) },
            HandshakeTimeout = TimeSpan.FromSeconds(3),
            // A restart should take a moment, not the production drain: clients come back within about a second.
            ShutdownDrainTimeout = TimeSpan.FromSeconds(1),
            GoAwayRetryAfter = TimeSpan.FromMilliseconds(50),
            GoAwayRetryJitter = TimeSpan.FromMilliseconds(500),
            CloseLinger = TimeSpan.FromMilliseconds(500),
            ServerId = "soak",
            ScaleOut = scaleOut,
        };
        options.EndPoints.Add(endPoint);
        return new TetherServer(options, handler, timeProvider: time);
    }

    private async Task RestartAsync()
    {
        // The old server stays current while it stops: pushes accepted during its drain go down with its sessions,
        // and that loss must be reported like any other.
        if (_current is { } old)
        {
            await old.StopAsync().ConfigureAwait(false);
            _current = null;
            await old.DisposeAsync().ConfigureAwait(false);
        }

        var started = _time.GetTimestamp();
        while (true)
        {
            var server = Create(EndPoint, _handler, _scaleOut, _time);
            try
            {
                await server.StartAsync().ConfigureAwait(false);
                _current = server;
                return;
            }
            catch (TetherException) when (_time.GetElapsedTime(started) < RebindFor)
            {
                await server.DisposeAsync().ConfigureAwait(false);
                await Task.Delay(RebindPause, _time).ConfigureAwait(false);
            }
        }
    }
}
