using Tether.Protocol;

namespace Tether.Server;

/// <summary>
/// The drain of a graceful stop (<see cref="TetherServer.StopAsync"/>): readiness turns false first
/// (<see cref="IsDraining"/>, <see cref="Draining"/>), then, after the lame-duck delay, new handshakes are turned away,
/// plain connections are closed, protocol clients are sent GOAWAY with a jittered retry-after in even batches over the
/// GOAWAY spread, the rest are closed with <c>GOING_AWAY</c> when the drain time is up, and any still there after the
/// close linger are aborted, so a stop always ends. Cancelling the stop ends each waiting step at once.
/// </summary>
internal sealed class ShutdownDrain : IDisposable
{
    private readonly TetherServer _server;
    private readonly TaskCompletionSource _allClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopCompleted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _draining = new();
    private readonly CancellationToken _drainingToken;
    private readonly DrainLog _log;
    private int _drainBegun;
    private int _goingAway;
    private long _drainBegunAt;

    public ShutdownDrain(TetherServer server)
    {
        _server = server;

        // Taken once, so the token stays readable after the server (and this source) is disposed.
        _drainingToken = _draining.Token;
        _log = new DrainLog(server.Log.Logger);
    }

    /// <summary>True from the moment the stop began, before any GOAWAY: the node is no longer ready.</summary>
    public bool IsDraining => Volatile.Read(ref _drainBegun) == 1;

    /// <summary>Cancelled when the stop begins, before any GOAWAY.</summary>
    public CancellationToken Draining => _drainingToken;

    /// <summary>True once the lame-duck delay is over: new handshakes are turned away with GOING_AWAY.</summary>
    public bool HasBegun => Volatile.Read(ref _goingAway) == 1;

    /// <summary>Completes when the stop that began first has finished (for the callers that came later).</summary>
    public Task Completed => _stopCompleted.Task;

    /// <summary>True for the one caller that begins the stop; readiness is false when this returns.</summary>
    public bool TryBegin()
    {
        if (Interlocked.Exchange(ref _drainBegun, 1) != 0)
        {
            return false;
        }

        _drainBegunAt = _server.TimeProvider.GetTimestamp();

        try
        {
            _draining.Cancel();
        }
        catch (AggregateException ex)
        {
            // An application's callback on the token must not stop the stop.
            _server.Metrics.HandlerErrors.Add(1, new KeyValuePair<string, object?>("callback", "draining"));
            _log.DrainingCallbackFailed(ex);
        }

        return true;
    }

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

    /// <summary>
    /// Keeps serving, and accepting, for the lame-duck delay while load balancers notice the node is not ready; then
    /// new handshakes are turned away. Cancelling <paramref name="cancellationToken"/> ends the delay.
    /// </summary>
    public async Task LameDuckAsync(CancellationToken cancellationToken)
    {
        var delay = _server.Options.LameDuckDelay;
        if (delay > TimeSpan.Zero)
        {
            _log.LameDuck(delay.TotalMilliseconds);
            // From when the stop began, not from now: the wait ends at the same time however late this runs.
            var left = delay - _server.TimeProvider.GetElapsedTime(_drainBegunAt);
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left, _server.TimeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        Volatile.Write(ref _goingAway, 1);
    }

    /// <summary>Empties the registry; <paramref name="cancellationToken"/> cuts the spread and the wait for clients to leave short.</summary>
    public async Task DrainAsync(CancellationToken cancellationToken)
    {
        var options = _server.Options;
        var time = _server.TimeProvider;
        var drain = options.ShutdownDrainTimeout;
        var start = time.GetTimestamp();
        var (peers, plainClosed) = ClosePlainAndListPeers();
        _log.Draining(peers.Count, plainClosed, options.GoAwaySpread.TotalMilliseconds, drain.TotalMilliseconds);

        var sent = await SendGoAwaysAsync(peers, start, cancellationToken).ConfigureAwait(false);
        _server.Log.Stopping(sent, plainClosed, drain.TotalMilliseconds);
        OnConnectionClosed();
        var left = drain - time.GetElapsedTime(start);
        if (left > TimeSpan.Zero)
        {
            await _allClosed.Task.WaitAsync(left, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
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

    public void Dispose() => _draining.Dispose();

    /// <summary>Closes the plain connections now and lists the protocol clients, who are told to come back later.</summary>
    private (List<TetherConnection> Peers, int PlainClosed) ClosePlainAndListPeers()
    {
        var peers = new List<TetherConnection>(_server.Connections.Count);
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

            peers.Add(connection);
        }

        return (peers, plainClosed);
    }

    /// <summary>
    /// Sends GOAWAY to <paramref name="peers"/> in even batches over the spread, waiting on the server's clock between
    /// batches (one wait for the whole drain, none per connection); a cancelled stop sends the rest at once.
    /// Returns how many were sent.
    /// </summary>
    private async Task<int> SendGoAwaysAsync(List<TetherConnection> peers, long start, CancellationToken cancellationToken)
    {
        var options = _server.Options;
        var time = _server.TimeProvider;
        var batches = DrainSettings.BatchCount(peers.Count, options.GoAwaySpread);
        var next = 0;
        for (var batch = 0; batch < batches; batch++)
        {
            var wait = DrainSettings.BatchDue(batch, batches, options.GoAwaySpread) - time.GetElapsedTime(start);
            if (wait > TimeSpan.Zero && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(wait, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            var until = cancellationToken.IsCancellationRequested ? peers.Count : DrainSettings.SentAfterBatch(batch, batches, peers.Count);
            var drainLeft = options.ShutdownDrainTimeout - time.GetElapsedTime(start);
            var drainMs = (uint)Math.Max(0, drainLeft.TotalMilliseconds);
            var from = next;
            for (; next < until; next++)
            {
                peers[next].SendGoAway(new GoAwayFrame
                {
                    RetryAfterMs = NextRetryAfterMs(),
                    DrainMs = drainMs,
                    Reason = "server shutting down",
                });
            }

            _server.Metrics.GoAwaysSent.Add(next - from);
            if (next == peers.Count)
            {
                break;
            }
        }

        return next;
    }
}
