using System.Buffers;
using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Diagnostics;
using Tether.Link;
using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Client;

/// <summary>
/// A client that keeps one connection to a Tether server alive: it reconnects by itself after any fault (exponential
/// backoff with full jitter, endpoint failover, server retry-after hints), detects a dead or half-open link with the
/// heartbeat, and stops only when closed or after an error that retrying cannot heal.
/// </summary>
public sealed class TetherClient : IAsyncDisposable, IMessageSink
{
    private readonly TetherClientOptions _options;
    private readonly TimeProvider _time;
    private readonly ClientLog _log;
    private readonly ExponentialBackoff _backoff;
    private readonly EndpointSelector _endpoints;
    private readonly Channel<ReadOnlyMemory<byte>> _inbox;
    private readonly TetherClientHandler? _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _stateLock = new();
    private readonly CallbackQueue _callbacks;
    private TaskCompletionSource<ClientConnection> _connected = NewConnectedSignal();
    private TaskCompletionSource? _firstOutcome;
    private ClientConnection? _current;
    private LinkedSession? _session;
    private SessionSettings? _sessionSettings;
    private ClientState _state;
    private Exception? _terminalError;
    private Task? _run;
    private bool _closeRequested;
    private bool _lostPending;
    private List<ReadOnlyMemory<byte>>? _lostWhileClosing;
    private int _lostWhileClosingCount;
    private bool _closingGracefully;
    private long _rttTicks = -1;

    /// <summary>Creates a client whose messages are read with <see cref="ReadAllAsync"/>; <see cref="ConnectAsync"/> starts it.</summary>
    public TetherClient(TetherClientOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
        : this(options, (TetherClientHandler?)null, loggerFactory, timeProvider)
    {
    }

    /// <summary>
    /// Creates a client whose messages go to <paramref name="handler"/> without a copy (or, when it is null, to
    /// <see cref="ReadAllAsync"/>); <see cref="ConnectAsync"/> starts it.
    /// </summary>
    public TetherClient(TetherClientOptions options, TetherClientHandler? handler, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        _handler = handler;
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _log = new ClientLog((loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Tether.Client"));
        Metrics = new TetherMetrics(TetherMetrics.ClientMeterName);
        _callbacks = new CallbackQueue(OnCallbackFailed);
        _backoff = new ExponentialBackoff(options.Reconnect.BaseDelay, options.Reconnect.MaxDelay);
        _endpoints = new EndpointSelector([.. options.EndPoints], options.EndpointSelection);
        _inbox = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(options.ReceiveQueueCapacity)
        {
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>
    /// Raised on every state change, with the reason. Like every event of the client it is raised on the client's event
    /// task, in order, after the change: a handler that is slow delays only the events behind it, and one that throws is
    /// logged and counted (<c>tether.handler.errors</c>) and never ends the client.
    /// </summary>
    public event EventHandler<ClientStateChangedEventArgs>? StateChanged;

    /// <summary>Raised with every round-trip time measured by the heartbeat (on the client's event task).</summary>
    public event EventHandler<RoundTripTimeEventArgs>? RoundTripTimeMeasured;

    /// <summary>Raised when a reconnect resumed the session (on the client's event task, after the connected state change).</summary>
    public event EventHandler<SessionResumedEventArgs>? SessionResumed;

    /// <summary>
    /// Raised when the session could not be resumed and messages may be missing (on the client's event task; no message
    /// of the new session is delivered before its handlers have returned).
    /// </summary>
    public event EventHandler<SessionLostEventArgs>? SessionLost;

    /// <summary>The current session, if the server granted one.</summary>
    public SessionId? SessionId => Volatile.Read(ref _session) is { } session ? session.Session.Id : null;

    /// <summary>Messages sent in the current session that the server has not acknowledged yet.</summary>
    public int UnacknowledgedMessages => Volatile.Read(ref _session)?.Session.UnacknowledgedCount ?? 0;

    /// <summary>The current state.</summary>
    public ClientState State
    {
        get
        {
            lock (_stateLock)
            {
                return _state;
            }
        }
    }

    /// <summary>The latest round-trip time, if one was measured.</summary>
    public TimeSpan? RoundTripTime => Volatile.Read(ref _rttTicks) is var ticks and >= 0 ? TimeSpan.FromTicks(ticks) : null;

    /// <summary>The endpoint of the current connection, if connected.</summary>
    public EndPoint? ConnectedEndPoint => Volatile.Read(ref _current)?.EndPoint;

    /// <summary>The WELCOME of the current connection, if connected.</summary>
    public WelcomeFrame? Welcome => Volatile.Read(ref _current)?.Welcome;

    /// <summary>Completes when the client is closed for good; faulted with the terminal error, if any.</summary>
    public Task Completion => _completion.Task;

    /// <summary>The client's instruments.</summary>
    public TetherMetrics Metrics { get; }

    /// <summary>
    /// Starts the client and completes once it is connected. It keeps retrying per <see cref="ReconnectOptions"/>; it
    /// throws <see cref="TetherException"/> if the client closes for good first (an error that cannot heal, or
    /// <see cref="ReconnectOptions.MaxAttempts"/> exhausted).
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        TaskCompletionSource outcome;
        lock (_stateLock)
        {
            if (_run is not null && _firstOutcome is null)
            {
                throw new TetherException("the client is closed");
            }

            if (_run is null)
            {
                _firstOutcome = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _run = RunAsync(_stop.Token);
            }

            outcome = _firstOutcome!;
        }

        try
        {
            await outcome.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // What led up to the outcome (the state changes, a lost session) has been raised when this returns.
            if (!_callbacks.IsCurrent && outcome.Task.IsCompleted)
            {
                await _callbacks.FlushAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Sends <paramref name="message"/>. With a session (the default), it completes when the message is accepted into
    /// the session: numbered and kept until the server acknowledges it, sent now or, while the client reconnects, on
    /// resume. It waits (cancellable) while the session holds <see cref="SessionOptions.MaxUnacknowledgedBytes"/>
    /// unacknowledged. Use <see cref="SendAndWaitForAckAsync"/> to wait for the server's acknowledgement. Without a
    /// session it queues the message on the current connection, waiting for a connection up to
    /// <see cref="TetherClientOptions.DisconnectedSendTimeout"/>; such a message may be lost if the connection breaks
    /// (at-most-once). Throws <see cref="TetherException"/> once the client is closed.
    /// </summary>
    public async ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default) =>
        await SendCoreAsync(message, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Sends <paramref name="message"/> in the session and completes once the server has acknowledged it (it was handed
    /// to the server's application). Throws <see cref="TetherException"/> if the session is lost before that (the
    /// <see cref="SessionLost"/> event hands back the unacknowledged messages), and <see cref="InvalidOperationException"/>
    /// when the connection has no session.
    /// </summary>
    public async Task SendAndWaitForAckAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        var (session, sequence) = await SendCoreAsync(message, cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            throw new InvalidOperationException("acknowledgements need a session, and the server granted none (or sessions are off)");
        }

        await session.Session.WaitForAckAsync(sequence, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The messages received, in order, across reconnects (each a copy); ends when the client is closed. Not available
    /// on a client created with a <see cref="TetherClientHandler"/>.
    /// </summary>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_handler is not null)
        {
            throw new InvalidOperationException("this client delivers its messages to its TetherClientHandler");
        }

        await foreach (var message in _inbox.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return message;
        }
    }

    /// <summary>
    /// Closes the connection now (CLOSE NORMAL) and stops reconnecting. Messages the server has not acknowledged yet are
    /// not waited for: use <see cref="CloseAsync(TimeSpan, CancellationToken)"/> to deliver them first and learn what
    /// was not. Completes once the client has stopped and its events (the last one <see cref="ClientState.Closed"/>)
    /// have been raised.
    /// </summary>
    public async Task CloseAsync(CancellationToken cancellationToken = default)
    {
        Task? run;
        ClientConnection? current;
        ClientStateChangedEventArgs? closed = null;
        lock (_stateLock)
        {
            _closeRequested = true;
            current = _current;
            run = _run;
            if (run is null)
            {
                closed = new ClientStateChangedEventArgs(_state, ClientState.Closed)
                {
                    Disconnect = new DisconnectInfo(DisconnectReason.ClosedLocally, CloseCode.Normal, "closed by the application"),
                    Timestamp = _time.GetUtcNow(),
                };
                _state = ClientState.Closed;
                _run = run = Task.CompletedTask;
                _inbox.Writer.TryComplete();
                _completion.TrySetResult();
            }
        }

        if (closed is not null)
        {
            PostStateChanged(closed);
        }

        // A connection published after this point sees _closeRequested and closes itself (RunConnectionAsync).
        current?.Close(new DisconnectInfo(DisconnectReason.ClosedLocally, CloseCode.Normal, "closed by the application"), CloseCode.Normal, "client closing");
        await _stop.CancelAsync().ConfigureAwait(false);
        await run.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!_callbacks.IsCurrent)
        {
            await _callbacks.CompleteAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Closes gracefully: waits until the server has acknowledged every message accepted so far (reconnecting and
    /// resuming as usual meanwhile), at most <paramref name="acknowledgementTimeout"/>, then closes as
    /// <see cref="CloseAsync(CancellationToken)"/> does. Returns what the server never acknowledged (nothing when it
    /// acknowledged everything, or when the connection has no session: without one, delivery is at-most-once and only
    /// the queued bytes are flushed). Cancelling stops the wait and closes at once.
    /// </summary>
    public async Task<ClientCloseResult> CloseAsync(TimeSpan acknowledgementTimeout, CancellationToken cancellationToken = default)
    {
        if (acknowledgementTimeout < TimeSpan.Zero && acknowledgementTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(acknowledgementTimeout), acknowledgementTimeout, "the timeout must not be negative");
        }

        lock (_stateLock)
        {
            _closingGracefully = true;
        }

        try
        {
            await WaitUntilAcknowledgedAsync(acknowledgementTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await CloseAsync(CancellationToken.None).ConfigureAwait(false);
        var session = Volatile.Read(ref _session);
        lock (_stateLock)
        {
            var messages = new List<ReadOnlyMemory<byte>>(_lostWhileClosing ?? []);
            var count = _lostWhileClosingCount;
            if (session is not null && session.Session.Lost is null)
            {
                var unacknowledged = session.Session.CopyUnacknowledged();
                messages.AddRange(unacknowledged);
                count += unacknowledged.Count;
            }

            return new ClientCloseResult(messages, count);
        }
    }

    /// <summary>Waits until the session holds nothing unacknowledged, the client closes for good, or the time is up.</summary>
    private async Task WaitUntilAcknowledgedAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var timer = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, cancellationToken);
        try
        {
            while (!_completion.Task.IsCompleted)
            {
                var session = Volatile.Read(ref _session);
                Task acknowledged;
                if (session is not null)
                {
                    var last = session.Session.LastSent;
                    if (session.Session.Lost is null && session.Session.LastAcknowledged >= last)
                    {
                        return;
                    }

                    acknowledged = session.Session.WaitForAckAsync(last, linked.Token);
                }
                else if (Volatile.Read(ref _current) is { } connection)
                {
                    acknowledged = connection.FlushAsync();
                }
                else
                {
                    return;
                }

                await Task.WhenAny(acknowledged, _completion.Task).WaitAsync(linked.Token).ConfigureAwait(false);
                if (acknowledged.IsFaulted)
                {
                    // The session was lost (what it held is counted by ReportLost); a new one may hold more.
                    _ = acknowledged.Exception;
                    continue;
                }

                if (session is null)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Closes the client and waits for it to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        _stop.Dispose();
        Metrics.Dispose();
    }

    ValueTask IMessageSink.DeliverAsync(ReadOnlySequence<byte> payload, CancellationToken cancellationToken)
    {
        if (_handler is not null)
        {
            try
            {
                var handled = _handler.OnMessageAsync(this, payload);
                return handled.IsCompletedSuccessfully
                    ? ValueTask.CompletedTask
                    : HandlerGuard.ObserveAsync(handled, this, static (client, ex) => client.OnCallbackFailed(nameof(TetherClientHandler.OnMessageAsync), ex));
            }
#pragma warning disable CA1031 // The application's handler may throw anything; the connection goes on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                OnCallbackFailed(nameof(TetherClientHandler.OnMessageAsync), ex);
                return ValueTask.CompletedTask;
            }
        }

        var message = payload.ToArray();
        return _inbox.Writer.TryWrite(message) ? ValueTask.CompletedTask : _inbox.Writer.WriteAsync(message, cancellationToken);
    }

    private void OnCallbackFailed(string callback, Exception exception)
    {
        Metrics.HandlerErrors.Add(1, new KeyValuePair<string, object?>("callback", callback));
        _log.HandlerFailed(callback, exception);
    }

    private async ValueTask<(LinkedSession? Session, ulong Sequence)> SendCoreAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken)
    {
        var deadline = _time.GetTimestamp() + (long)(_options.DisconnectedSendTimeout.TotalSeconds * _time.TimestampFrequency);
        while (true)
        {
            var session = Volatile.Read(ref _session);
            if (session is not null)
            {
                switch (session.TrySend(message.Span, overLimit: false, out var sequence))
                {
                    case SendResult.Queued:
                        return (session, sequence);
                    case SendResult.Full:
                        await session.Session.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
                        continue;
                    case SendResult.TooLarge:
                        throw new ArgumentException($"a message of {message.Length} bytes exceeds the server's frame limit ({session.Session.MaxPayload} bytes of payload)", nameof(message));
                }

                // Lost: the client is moving to a new session (or none); look again.
                if (Volatile.Read(ref _session) != session)
                {
                    continue;
                }
            }

            var connection = Volatile.Read(ref _current);
            if (connection is not null && connection.Link.Session is null)
            {
                switch (connection.TrySend(message.Span))
                {
                    case SendResult.Queued:
                        return (null, 0);
                    case SendResult.Full:
                        await connection.FlushAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
                        continue;
                }
            }

            await WaitForConnectionAsync(deadline, cancellationToken).ConfigureAwait(false);
        }
    }

    private static TaskCompletionSource<ClientConnection> NewConnectedSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task WaitForConnectionAsync(long deadline, CancellationToken cancellationToken)
    {
        Task<ClientConnection> signal;
        lock (_stateLock)
        {
            if (_state == ClientState.Closed)
            {
                throw new TetherException("the client is closed", _terminalError ?? new OperationCanceledException());
            }

            if (_run is null)
            {
                throw new InvalidOperationException("call ConnectAsync before SendAsync");
            }

            signal = _connected.Task;
        }

        var remaining = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
        if (remaining <= TimeSpan.Zero)
        {
            throw new TetherException($"not connected: no connection within {_options.DisconnectedSendTimeout.TotalSeconds:0.###} s; the message was not sent");
        }

        try
        {
            await signal.WaitAsync(remaining, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TetherException($"not connected: no connection within {_options.DisconnectedSendTimeout.TotalSeconds:0.###} s; the message was not sent");
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        var attempt = 0;
        TimeSpan? retryAfter = null;
        DisconnectInfo? lastDisconnect = null;
        Exception? lastError = null;
        try
        {
            SetState(ClientState.Connecting, new ClientStateChangedEventArgs(ClientState.Disconnected, ClientState.Connecting) { EndPoint = _options.EndPoints[0], Timestamp = _time.GetUtcNow() });
            var endPoint = _endpoints.Next();
            while (!stop.IsCancellationRequested)
            {
                ClientConnection? connection = null;
                var hello = ClientSessionNegotiation.Hello(_options, Volatile.Read(ref _session)?.Session);
                try
                {
                    connection = await ClientConnection.ConnectAsync(endPoint, hello, _options, _time, Metrics, stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    break;
                }
                catch (TetherException ex) when (ex.Code is { } code && !code.AllowsReconnect())
                {
                    _log.Refused(EndPointText.Format(endPoint), ex.Message);
                    Finish(ex, null);
                    return;
                }
                catch (Exception ex) when (ex is TetherException or TetherProtocolException)
                {
                    lastError = ex;
                    retryAfter = (ex as TetherException)?.RetryAfter;
                    _log.AttemptFailed(EndPointText.Format(endPoint), ex.Message);
                }

                if (connection is not null)
                {
                    var info = await RunConnectionAsync(connection, hello, stop).ConfigureAwait(false);
                    if (stop.IsCancellationRequested || info.Reason == DisconnectReason.ClosedLocally)
                    {
                        break;
                    }

                    if (!info.AllowsReconnect || !_options.Reconnect.Enabled)
                    {
                        Finish(new TetherException($"disconnected from {EndPointText.Format(connection.EndPoint)}: {info}", info.Code ?? CloseCode.Normal), info);
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
                    Finish(new TetherException(lastError!.Message, lastError), null);
                    return;
                }

                attempt++;
                if (_options.Reconnect.MaxAttempts is { } max && attempt >= max)
                {
                    var why = lastError?.Message ?? lastDisconnect?.ToString() ?? "unknown error";
                    Finish(new TetherException($"{why} (gave up after {max} attempt{(max == 1 ? string.Empty : "s")})", lastError ?? new TetherException(why)), lastDisconnect);
                    return;
                }

                var delay = _backoff.NextDelay(attempt);
                if (retryAfter is { } hint && hint > delay)
                {
                    delay = hint;
                }

                retryAfter = null;
                endPoint = _endpoints.Next();
                Metrics.Reconnects.Add(1);
                _log.Reconnecting(attempt, delay.TotalMilliseconds);

                // Armed before it is announced: whoever hears of the delay may count from that moment.
                var started = _time.GetTimestamp();
                var waiting = Task.Delay(delay, _time, stop);
                SetState(ClientState.Reconnecting, new ClientStateChangedEventArgs(State, ClientState.Reconnecting)
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

            Finish(null, new DisconnectInfo(DisconnectReason.ClosedLocally, CloseCode.Normal, "closed by the application"));
        }
        catch (Exception ex)
        {
            _log.Crashed(ex);
            Finish(new TetherException($"the client stopped: {ex.Message}", ex), null);
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

    private async Task<DisconnectInfo> RunConnectionAsync(ClientConnection connection, HelloFrame hello, CancellationToken stop)
    {
        ClientSessionOutcome outcome;
        SessionResumedEventArgs? resumed;
        try
        {
            outcome = ApplySession(connection, hello, out resumed);
        }
        catch (TetherProtocolException ex)
        {
            var violation = new DisconnectInfo(DisconnectReason.ProtocolError, ex.Code, ex.Message);
            connection.Close(violation, ex.Code, ex.Message);
            return await connection.RunAsync(this).ConfigureAwait(false);
        }

        if (outcome == ClientSessionOutcome.ClientGap)
        {
            // Protocol section 10.6 step 4: no DATA in that session; close and start a new one at once.
            var gap = new DisconnectInfo(DisconnectReason.ClosedLocally, CloseCode.Normal, "the server lacks messages the client no longer holds; starting a new session")
            {
                RetryAfter = TimeSpan.Zero,
            };
            connection.Close(gap, CloseCode.Normal, "session gap");
            await connection.RunAsync(this).ConfigureAwait(false);
            return gap with { Reason = DisconnectReason.ConnectionLost };
        }

        connection.RoundTripMeasured = rtt =>
        {
            Volatile.Write(ref _rttTicks, rtt.Ticks);
            if (RoundTripTimeMeasured is not null)
            {
                _callbacks.Post(nameof(RoundTripTimeMeasured), () => Raise(RoundTripTimeMeasured, new RoundTripTimeEventArgs(rtt), nameof(RoundTripTimeMeasured)));
            }
        };
        connection.AlternateEndpoint = _endpoints.Prefer;
        _endpoints.OnConnected();
        Metrics.ConnectionsAccepted.Add(1);
        Metrics.ConnectionsActive.Add(1);
        _log.Connected(EndPointText.Format(connection.EndPoint), connection.Heartbeat.Interval.TotalMilliseconds, connection.Heartbeat.Timeout.TotalMilliseconds);

        // Published under the lock that CloseAsync takes: a close that came in during the handshake (and found no
        // connection to close) is seen here, so the connection cannot outlive it.
        bool closeRequested;
        lock (_stateLock)
        {
            closeRequested = _closeRequested;
            Volatile.Write(ref _current, connection);
            _connected.TrySetResult(connection);
        }

        if (closeRequested)
        {
            connection.Close(new DisconnectInfo(DisconnectReason.ClosedLocally, CloseCode.Normal, "closed by the application"), CloseCode.Normal, "client closing");
        }

        SetState(ClientState.Connected, new ClientStateChangedEventArgs(State, ClientState.Connected) { EndPoint = connection.EndPoint, Timestamp = _time.GetUtcNow() });
        if (resumed is not null)
        {
            _callbacks.Post(nameof(SessionResumed), () => Raise(SessionResumed, resumed, nameof(SessionResumed)));
        }

        if (_lostPending)
        {
            // The SessionLost handlers run before any message of the new session is delivered.
            _lostPending = false;
            try
            {
                await _callbacks.FlushAsync().WaitAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                connection.Close(new DisconnectInfo(DisconnectReason.ClosedLocally, CloseCode.Normal, "closed by the application"), CloseCode.Normal, "client closing");
            }
        }

        var run = connection.RunAsync(this);
        _firstOutcome?.TrySetResult();
        var info = await run.ConfigureAwait(false);
        lock (_stateLock)
        {
            Volatile.Write(ref _current, null);
            _connected = NewConnectedSignal();
        }

        Metrics.ConnectionsActive.Add(-1);
        Metrics.ConnectionsClosed.Add(1, new KeyValuePair<string, object?>("reason", info.ReasonName));
        _log.Disconnected(info.ReasonName, info.Description);
        return info;
    }

    /// <summary>
    /// Works out what the WELCOME means for the session and attaches it to the new link before any message flows:
    /// resumed (resend what the server lacks; <paramref name="resumed"/> is the event to raise), started (reporting the
    /// old one as lost, if it was to be resumed), or none.
    /// </summary>
    private ClientSessionOutcome ApplySession(ClientConnection connection, HelloFrame hello, out SessionResumedEventArgs? resumed)
    {
        resumed = null;
        var welcome = connection.Welcome;
        var previous = Volatile.Read(ref _session);
        var outcome = ClientSessionNegotiation.Classify(hello, welcome, previous?.Session);
        var peerMaxFrame = (int)Math.Min(welcome.MaxFrameSize, int.MaxValue - ProtocolConstants.HeaderSize);
        switch (outcome)
        {
            case ClientSessionOutcome.Resumed:
                var resent = previous!.Attach<object?>(connection.Link, welcome.LastReceivedSequence, peerMaxFrame, null, null);
                Metrics.SessionsResumed.Add(1);
                Metrics.MessagesResent.Add(resent);
                _log.SessionResumed(previous.Session.Id.ToString(), resent);
                resumed = new SessionResumedEventArgs(previous.Session.Id, welcome.LastReceivedSequence, resent);
                return outcome;
            case ClientSessionOutcome.ClientGap:
                ReportLost(previous!, SessionLostReason.Gap, null, $"the server has the client's messages up to {welcome.LastReceivedSequence}, but the client freed up to {previous!.Session.LastAcknowledged}");
                Volatile.Write(ref _session, null);
                return outcome;
        }

        if (hello.IsResume && previous is not null)
        {
            var reason = ClientSessionNegotiation.LossReason(welcome);
            ReportLost(previous, reason, ClientSessionNegotiation.PeerLost(welcome), $"the server did not resume session {previous.Session.Id}: {reason}");
        }

        if (outcome == ClientSessionOutcome.Started)
        {
            var session = new LinkedSession(new ReliableSession(welcome.SessionId, _sessionSettings ??= new SessionSettings(_options.Sessions, _time)));
            session.Attach<object?>(connection.Link, 0, peerMaxFrame, null, null);
            Metrics.SessionsStarted.Add(1);
            Volatile.Write(ref _session, session);
        }
        else
        {
            Volatile.Write(ref _session, null);
        }

        return outcome;
    }

    private void ReportLost(LinkedSession session, SessionLostReason reason, long? peerLost, string description)
    {
        bool closing;
        lock (_stateLock)
        {
            closing = _closingGracefully;
        }

        var info = session.MarkLost(reason, _options.ClientId, peerLost, description, keepPayloads: SessionLost is not null || closing, out var unacknowledged);
        Metrics.SessionsLost.Add(1, new KeyValuePair<string, object?>("reason", reason.ToString()));
        _log.SessionLost(session.Session.Id.ToString(), reason.ToString(), info.UnacknowledgedSent, peerLost ?? -1);
        if (closing)
        {
            lock (_stateLock)
            {
                (_lostWhileClosing ??= []).AddRange(unacknowledged);
                _lostWhileClosingCount += (int)Math.Min(info.UnacknowledgedSent, int.MaxValue);
            }
        }

        var args = new SessionLostEventArgs(info, unacknowledged);
        _callbacks.Post(nameof(SessionLost), () => Raise(SessionLost, args, nameof(SessionLost)));
        _lostPending = true;
    }

    private void Finish(Exception? error, DisconnectInfo? disconnect)
    {
        lock (_stateLock)
        {
            _terminalError = error;
            _connected.TrySetException(error ?? new TetherException("the client is closed"));
            _connected.Task.Exception?.Handle(_ => true);
        }

        SetState(ClientState.Closed, new ClientStateChangedEventArgs(State, ClientState.Closed) { Exception = error, Disconnect = disconnect, Timestamp = _time.GetUtcNow() });

        // The Closed event is the last: nothing is raised after it.
        _ = _callbacks.CompleteAsync();
        if (error is not null)
        {
            _log.Closed(error.Message);
            _inbox.Writer.TryComplete();
            _firstOutcome?.TrySetException(error);
            _completion.TrySetException(error);
            _completion.Task.Exception?.Handle(_ => true);
        }
        else
        {
            _inbox.Writer.TryComplete();
            _firstOutcome?.TrySetCanceled();
            _completion.TrySetResult();
        }
    }

    /// <summary>Records a transition and queues <see cref="StateChanged"/>: handlers see the transitions in order.</summary>
    private void SetState(ClientState state, ClientStateChangedEventArgs args)
    {
        lock (_stateLock)
        {
            _state = state;
        }

        PostStateChanged(args);
    }

    private void PostStateChanged(ClientStateChangedEventArgs args) => _callbacks.Post(nameof(StateChanged), () => Raise(StateChanged, args, nameof(StateChanged)));

    /// <summary>Calls each handler in turn: one that throws is reported, and the others still hear the event.</summary>
    private void Raise<TArgs>(EventHandler<TArgs>? handlers, TArgs args, string name)
    {
        if (handlers is null)
        {
            return;
        }

        foreach (var handler in handlers.GetInvocationList())
        {
            try
            {
                ((EventHandler<TArgs>)handler)(this, args);
            }
#pragma warning disable CA1031 // The application's handler may throw anything; the client goes on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                OnCallbackFailed(name, ex);
            }
        }
    }
}
