using Tether.Protocol;

namespace Tether.Server;

/// <summary>
/// The drain of a graceful stop (<see cref="TetherServer.StopAsync"/>), once accepting has stopped: plain connections
/// are closed, protocol clients are sent GOAWAY with a jittered retry-after and given the drain time to leave, the rest
/// are closed with <c>GOING_AWAY</c>, and any still there after the close linger are aborted, so a stop always ends.
/// </summary>
internal sealed class ShutdownDrain
{
    private readonly TetherServer _server;
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopCompleted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _begun;

    public ShutdownDrain(TetherServer server) => _server = server;

    /// <summary>True once the stop has begun: new handshakes are turned away with GOING_AWAY.</summary>
    public bool HasBegun => Volatile.Read(ref _begun) == 1;

    /// <summary>Completes when the stop that began first has finished (for the callers that came later).</summary>
    public Task Completed => _stopCompleted.Task;

    /// <summary>True for the one caller that begins the stop.</summary>
    public bool TryBegin() => Interlocked.Exchange(ref _begun, 1) == 0;

    public void SetCompleted() => _stopCompleted.TrySetResult();

    /// <summary>A retry-after hint spread per client: the base plus a uniform share of the jitter.</summary>
    public uint NextRetryAfterMs()
    {
        var options = _server.Options;
        return (uint)(options.GoAwayRetryAfter + (options.GoAwayRetryJitter * Random.Shared.NextDouble())).TotalMilliseconds;
    }

    /// <summary>Called after a connection has left the registry: the drain ends when the last one has.</summary>
    public void OnConnectionClosed()
    {
        if (HasBegun && _server.Connections.Count == 0)
        {
            _allClosed.TrySetResult();
        }
    }

    /// <summary>Empties the registry; <paramref name="cancellationToken"/> cuts the wait for clients to leave short.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        var options = _server.Options;
        var time = _server.TimeProvider;
        var drain = options.ShutdownDrainTimeout;
        var count = 0;
        var plainClosed = 0;
        foreach (var connection in _server.Connections)
        {
            if (connection.IsPlain)
            {
                // A plain peer cannot be told to come back later; it is closed now, after what was queued for it.
                connection.BeginClose(new DisconnectInfo(DisconnectReason.GoingAway, CloseCode.GoingAway, "server stopped"), CloseCode.GoingAway, "server shutting down", 0, immediate: false);
                plainClosed++;
                continue;
            }

            connection.SendGoAway(new GoAwayFrame
            {
                RetryAfterMs = NextRetryAfterMs(),
                DrainMs = (uint)drain.TotalMilliseconds,
                Reason = "server shutting down",
            });
            count++;
        }

        _server.Metrics.GoAwaysSent.Add(count);
        _server.Log.Stopping(count, plainClosed, drain.TotalMilliseconds);
        OnConnectionClosed();
        try
        {
            await _allClosed.Task.WaitAsync(drain, time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
        }

        var forced = 0;
        foreach (var connection in _server.Connections)
        {
            connection.BeginClose(new DisconnectInfo(DisconnectReason.GoingAway, CloseCode.GoingAway, "server stopped"), CloseCode.GoingAway, "server stopped", NextRetryAfterMs(), immediate: false);
            forced++;
        }

        // Every connection is now closing and is dropped at the latest one linger time later; whatever is still
        // there after twice that is aborted, so a stop always ends.
        try
        {
            await _allClosed.Task.WaitAsync(options.CloseLinger + options.CloseLinger, time, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            foreach (var connection in _server.Connections)
            {
                connection.Abort();
            }

            await _allClosed.Task.WaitAsync(options.CloseLinger, time, CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _server.Log.Stopped(forced);
    }
}
