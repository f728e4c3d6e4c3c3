using Tether.Diagnostics;
using Tether.Protocol;
using Tether.Transport;

namespace Tether.Client;

/// <summary>
/// A client's one run loop: pick an endpoint (<see cref="EndpointSelector"/>, a GOAWAY alternate first), connect and
/// handshake, run the connection until it ends, then decide from why it ended: stop for good (a code that cannot heal,
/// reconnecting off, <see cref="ReconnectOptions.MaxAttempts"/> reached) or wait <c>max(backoff, retry-after)</c> and
/// try again. The attempt count starts over after a connection that stayed up <see cref="ReconnectOptions.StableAfter"/>.
/// </summary>
internal sealed class ReconnectLoop : IDisposable
{
    private readonly TetherClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ClientLog _log;
    private readonly TetherMetrics _metrics;
    private readonly TransportFactory _transports;
    private readonly ExponentialBackoff _backoff;
    private readonly EndpointSelector _endpoints;
    private readonly ClientLifecycle _lifecycle;
    private readonly ClientSessions _sessions;
    private readonly ClientEvents _events;
    private readonly MessageDelivery _delivery;
    private readonly CancellationTokenSource _stop = new();

    public ReconnectLoop(TetherClientOptions options, TimeProvider time, ClientLog log, TetherMetrics metrics, ClientLifecycle lifecycle, ClientSessions sessions, ClientEvents events, MessageDelivery delivery)
    {
        _options = options;
        _time = time;
        _log = log;
        _metrics = metrics;
        _transports = new TransportFactory(options.Transport, engine: null, metrics);
        _lifecycle = lifecycle;
        _sessions = sessions;
        _events = events;
        _delivery = delivery;
        _backoff = new ExponentialBackoff(options.Reconnect.BaseDelay, options.Reconnect.MaxDelay);
        _endpoints = new EndpointSelector([.. options.EndPoints], options.EndpointSelection);
    }

    /// <summary>Stops the loop: a wait or a handshake under way ends at once, a running connection is closed by the caller.</summary>
    public Task StopAsync() => _stop.CancelAsync();

    public void Dispose() => _stop.Dispose();

    /// <summary>Runs until the client is closed for good; never throws (the end is reported by <see cref="ClientLifecycle.Finish"/>).</summary>
    public async Task RunAsync()
    {
        var stop = _stop.Token;
        var attempt = 0;
        TimeSpan? retryAfter = null;
        DisconnectInfo? lastDisconnect = null;
        Exception? lastError = null;
        try
        {
            _lifecycle.SetState(ClientState.Connecting, new ClientStateChangedEventArgs(ClientState.Disconnected, ClientState.Connecting) { EndPoint = _options.EndPoints[0], Timestamp = _time.GetUtcNow() });
            var endPoint = _endpoints.Next();
            while (!stop.IsCancellationRequested)
            {
                ClientConnection? connection = null;
                var hello = ClientSessionNegotiation.Hello(_options, _sessions.Current);
                try
                {
                    connection = await ClientConnector.ConnectAsync(endPoint, hello, _options, _time, _metrics, _transports, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (TetherException ex) when (ex.Code is { } code && !code.AllowsReconnect())
                {
                    _log.Refused(EndPointText.Format(endPoint), ex.Message);
                    _lifecycle.Finish(ex, null);
                    return;
                }
                catch (Exception ex) when (ex is TetherException or TetherProtocolException)
                {
                    lastError = ex;
                    retryAfter = (ex as TetherException)?.RetryAfter;
                    _endpoints.UseAlternates((ex as TetherException)?.AlternateEndPoints ?? []);
                    _log.AttemptFailed(EndPointText.Format(endPoint), ex.Message);
                }

                if (connection is not null)
                {
                    _endpoints.OnConnected();
                    var info = await RunConnectionAsync(connection, hello, stop).ConfigureAwait(false);
                    _endpoints.UseAlternates(info.AlternateEndPoints);
                    if (stop.IsCancellationRequested || info.Reason == DisconnectReason.ClosedLocally)
                    {
                        break;
                    }

                    if (!info.AllowsReconnect || !_options.Reconnect.Enabled)
                    {
                        _lifecycle.Finish(new TetherException($"disconnected from {EndPointText.Format(connection.EndPoint)}: {info}", info.Code ?? CloseCode.Normal), info);
                        return;
                    }

                    if (_time.GetElapsedTime(connection.ConnectedAt) >= _options.Reconnect.StableAfter)
                    {
                        attempt = 0;
                    }

                    lastDisconnect = info;
                    lastError = null;
                    retryAfter = info.RetryAfter;
                }
                else if (!_options.Reconnect.Enabled)
                {
                    _lifecycle.Finish(new TetherException(lastError!.Message, lastError), null);
                    return;
                }

                attempt++;
                if (_options.Reconnect.MaxAttempts is { } max && attempt >= max)
                {
                    var why = lastError?.Message ?? lastDisconnect?.ToString() ?? "unknown error";
                    _lifecycle.Finish(new TetherException($"{why} (gave up after {max} attempt{(max == 1 ? string.Empty : "s")})", lastError ?? new TetherException(why)), lastDisconnect);
                    return;
                }

                var delay = _backoff.NextDelay(attempt);
                if (retryAfter is { } hint && hint > delay)
                {
                    delay = hint;
                }

                retryAfter = null;
                endPoint = _endpoints.Next();
                _metrics.Reconnects.Add(1);
                _log.Reconnecting(attempt, delay.TotalMilliseconds);

                // Armed before it is announced: whoever hears of the delay may count from that moment.
                var started = _time.GetTimestamp();
                var waiting = Task.Delay(delay, _time, stop);
                _lifecycle.SetState(ClientState.Reconnecting, new ClientStateChangedEventArgs(_lifecycle.State, ClientState.Reconnecting)
                {
                    Attempt = attempt,
                    Delay = delay,
                    Disconnect = connection is not null ? lastDisconnect : null,
                    Exception = connection is null ? lastError : null,
                    EndPoint = endPoint,
                    Timestamp = _time.GetUtcNow(),
                });
                try
                {
                    await WaitAtLeastAsync(waiting, started, delay, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            _lifecycle.Finish(null, new DisconnectInfo(DisconnectReason.ClosedLocally, CloseCode.Normal, "closed by the application"));
        }
        catch (Exception ex)
        {
            _log.Crashed(ex);
            _lifecycle.Finish(new TetherException($"the client stopped: {ex.Message}", ex), null);
        }
    }

    /// <summary>
    /// Waits <paramref name="delay"/>, never less: timers count in whole milliseconds and may fire a fraction of one
    /// early, and a retry-after from the server is a promise not to come back sooner.
    /// </summary>
    private async Task WaitAtLeastAsync(Task waiting, long started, TimeSpan delay, CancellationToken cancellationToken)
    {
        await waiting.ConfigureAwait(false);
        for (var waited = _time.GetElapsedTime(started); waited < delay; waited = _time.GetElapsedTime(started))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling((delay - waited).TotalMilliseconds)), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Applies the session, makes the connection current, runs it until it ends and returns why.</summary>
    private async Task<DisconnectInfo> RunConnectionAsync(ClientConnection connection, HelloFrame hello, CancellationToken stop)
    {
        ClientSessionOutcome outcome;
        SessionResumedEventArgs? resumed;
        try
        {
            outcome = _sessions.Apply(connection, hello, out resumed);
        }
        catch (TetherProtocolException ex)
        {
            var violation = new DisconnectInfo(DisconnectReason.ProtocolError, ex.Code, ex.Message);
            connection.Close(violation, ex.Code, ex.Message);
            return await connection.RunAsync(_delivery).ConfigureAwait(false);
        }

        if (outcome == ClientSessionOutcome.ClientGap)
        {
            // Protocol section 10.6 step 4: no DATA in that session; close with 1000, then a new session on the next
            // attempt, which is an attempt like any other (counted, after the backoff delay).
            const string Gap = "the server lacks messages the client no longer holds; starting a new session";
            connection.Close(new DisconnectInfo(DisconnectReason.ClosedLocally, CloseCode.Normal, Gap), CloseCode.Normal, "session gap");
            await connection.RunAsync(_delivery).ConfigureAwait(false);
            return new DisconnectInfo(DisconnectReason.ConnectionLost, null, Gap);
        }

        connection.RoundTripMeasured = _events.OnRoundTripMeasured;
        _metrics.ConnectionsAccepted.Add(1);
        _metrics.ConnectionsActive.Add(1);
        _log.Connected(EndPointText.Format(connection.EndPoint), connection.Heartbeat.Interval.TotalMilliseconds, connection.Heartbeat.Timeout.TotalMilliseconds);

        // A close that came in during the handshake (and found no connection to close) is seen here, so the
        // connection cannot outlive it.
        if (_lifecycle.Publish(connection))
        {
            connection.Close(new DisconnectInfo(DisconnectReason.ClosedLocally, CloseCode.Normal, "closed by the application"), CloseCode.Normal, "client closing");
        }

        _lifecycle.SetState(ClientState.Connected, new ClientStateChangedEventArgs(_lifecycle.State, ClientState.Connected) { EndPoint = connection.EndPoint, Timestamp = _time.GetUtcNow() });
        if (resumed is not null)
        {
            _events.PostSessionResumed(resumed);
        }

        if (_sessions.TakeLostPending())
        {
            // The SessionLost handlers run before any message of the new session is delivered.
            try
            {
                await _events.FlushAsync().WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                connection.Close(new DisconnectInfo(DisconnectReason.ClosedLocally, CloseCode.Normal, "closed by the application"), CloseCode.Normal, "client closing");
            }
        }

        var run = connection.RunAsync(_delivery);
        _lifecycle.ReportFirstConnected();
        var info = await run.ConfigureAwait(false);
        _lifecycle.Unpublish();
        _metrics.ConnectionsActive.Add(-1);
        _metrics.ConnectionsClosed.Add(1, new KeyValuePair<string, object?>("reason", info.ReasonName));
        _log.Disconnected(info.ReasonName, info.Description);
        return info;
    }
}
