using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Diagnostics;
using Tether.Heartbeat;
using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Client;

/// <summary>
/// A client that keeps one connection to a Tether server alive: it reconnects by itself after any fault (exponential
/// backoff with full jitter, endpoint failover, server retry-after hints), detects a dead or half-open link with the
/// heartbeat, and stops only when closed or after an error that retrying cannot heal.
/// </summary>
/// <remarks>
/// The public face and the wiring: the run loop and reconnect policy are <see cref="ReconnectLoop"/>'s, the state and
/// its lock <see cref="ClientLifecycle"/>'s, the session across connections <see cref="ClientSessions"/>'s, sending
/// <see cref="ClientSender"/>'s, closing <see cref="ClientCloser"/>'s, events <see cref="ClientEvents"/>' and received
/// messages <see cref="MessageDelivery"/>'s.
/// </remarks>
public sealed class TetherClient : IAsyncDisposable
{
    private readonly ClientEvents _events;
    private readonly MessageDelivery _delivery;
    private readonly ClientLifecycle _lifecycle;
    private readonly ClientSessions _sessions;
    private readonly ClientSender _sender;
    private readonly ReconnectLoop _loop;
    private readonly ClientCloser _closer;
    private Task? _disposal;

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
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var time = timeProvider ?? TimeProvider.System;
        var log = new ClientLog((loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Tether.Client"));
        Metrics = new TetherMetrics(TetherMeterNames.Client, options.MeterFactory);
        _events = new ClientEvents(this, Metrics, log);
        _delivery = new MessageDelivery(this, handler, _events, options.ReceiveQueueCapacity);
        _lifecycle = new ClientLifecycle(_events, _delivery, log, time);
        _sessions = new ClientSessions(options, time, Metrics, log, _events);
        _sender = new ClientSender(options, time, _lifecycle, _sessions);
        _loop = new ReconnectLoop(options, time, log, Metrics, _lifecycle, _sessions, _events, _delivery);
        _closer = new ClientCloser(_lifecycle, _sessions, _events, _loop, time);
    }

    /// <summary>
    /// Raised on every state change, with the reason. Like every event of the client it is raised on the client's event
    /// task, in order, after the change: a handler that is slow delays only the events behind it, and one that throws is
    /// logged and counted (<c>tether.handler.errors</c>) and never ends the client.
    /// </summary>
    public event EventHandler<ClientStateChangedEventArgs>? StateChanged
    {
        add => _events.StateChanged += value;
        remove => _events.StateChanged -= value;
    }

    /// <summary>Raised with every round-trip time measured by the heartbeat (on the client's event task).</summary>
    public event EventHandler<RoundTripTimeEventArgs>? RoundTripTimeMeasured
    {
        add => _events.RoundTripTimeMeasured += value;
        remove => _events.RoundTripTimeMeasured -= value;
    }

    /// <summary>Raised when a reconnect resumed the session (on the client's event task, after the connected state change).</summary>
    public event EventHandler<SessionResumedEventArgs>? SessionResumed
    {
        add => _events.SessionResumed += value;
        remove => _events.SessionResumed -= value;
    }

    /// <summary>
    /// Raised when the session could not be resumed and messages may be missing (on the client's event task; no message
    /// of the new session is delivered before its handlers have returned).
    /// </summary>
    public event EventHandler<SessionLostEventArgs>? SessionLost
    {
        add => _events.SessionLost += value;
        remove => _events.SessionLost -= value;
    }

    /// <summary>The current session, if the server granted one.</summary>
    public SessionId? SessionId => _sessions.Current is { } session ? session.Id : null;

    /// <summary>Messages sent in the current session that the server has not acknowledged yet.</summary>
    public int UnacknowledgedMessages => _sessions.Current?.UnacknowledgedCount ?? 0;

    /// <summary>The current state.</summary>
    public ClientState State => _lifecycle.State;

    /// <summary>The latest round-trip time, if one was measured.</summary>
    public TimeSpan? RoundTripTime => _events.LatestRoundTripTime;

    /// <summary>The endpoint of the current connection, if connected.</summary>
    public EndPoint? ConnectedEndPoint => _lifecycle.Current?.EndPoint;

    /// <summary>The heartbeat the server agreed to for the current connection (within its bounds), if connected.</summary>
    public HeartbeatSettings? Heartbeat => _lifecycle.Current?.Heartbeat;

    /// <summary>The node name the server of the current connection announced (its <c>ServerId</c>), if connected.</summary>
    public string? ServerId => _lifecycle.Current?.Welcome.ServerId;

    /// <summary>Completes when the client is closed for good; faulted with the terminal error, if any.</summary>
    public Task Completion => _lifecycle.Completion;

    /// <summary>The client's instruments, on its own meter named <see cref="TetherMeterNames.Client"/>.</summary>
    internal TetherMetrics Metrics { get; }

    /// <summary>
    /// Starts the client and completes once it is connected. It keeps retrying per <see cref="ReconnectOptions"/>; it
    /// throws <see cref="TetherException"/> if the client closes for good first (an error that cannot heal, or
    /// <see cref="ReconnectOptions.MaxAttempts"/> exhausted).
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        var outcome = _lifecycle.StartOnce(_loop);
        try
        {
            await outcome.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // What led up to the outcome (the state changes, a lost session) has been raised when this returns.
            if (!_events.IsCurrent && outcome.IsCompleted)
            {
                await _events.FlushAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
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
        await _sender.SendAsync(message, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Sends <paramref name="message"/> in the session and completes once the server has acknowledged it (it was handed
    /// to the server's application). Throws <see cref="TetherException"/> if the session is lost before that (the
    /// <see cref="SessionLost"/> event hands back the unacknowledged messages), and <see cref="InvalidOperationException"/>
    /// when the connection has no session.
    /// </summary>
    public async Task SendAndWaitForAckAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        var (session, sequence) = await _sender.SendAsync(message, cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            throw new InvalidOperationException("acknowledgements need a session, and the server granted none (or sessions are off)");
        }

        await _sender.WaitForAckAsync(session, sequence, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The messages received, in order, across reconnects (each a copy); ends when the client is closed. Not available
    /// on a client created with a <see cref="TetherClientHandler"/>.
    /// </summary>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_delivery.HasHandler)
        {
            throw new InvalidOperationException("this client delivers its messages to its TetherClientHandler");
        }

        await foreach (var message in _delivery.Inbox.ReadAllAsync(cancellationToken).ConfigureAwait(false))
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
    public Task CloseAsync(CancellationToken cancellationToken = default) => _closer.CloseAsync(cancellationToken);

    /// <summary>
    /// Closes gracefully: waits until the server has acknowledged every message accepted so far (reconnecting and
    /// resuming as usual meanwhile), at most <paramref name="acknowledgementTimeout"/>, then closes as
    /// <see cref="CloseAsync(CancellationToken)"/> does. Returns what the server never acknowledged (nothing when it
    /// acknowledged everything, or when the connection has no session: without one, delivery is at-most-once and only
    /// the queued bytes are flushed). Cancelling stops the wait and closes at once.
    /// </summary>
    public Task<ClientCloseResult> CloseAsync(TimeSpan acknowledgementTimeout, CancellationToken cancellationToken = default) =>
        _closer.CloseAsync(acknowledgementTimeout, cancellationToken);

    /// <summary>Closes the client and waits for it to finish. Calling it again waits for the same close.</summary>
    public ValueTask DisposeAsync()
    {
        var disposal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = Interlocked.CompareExchange(ref _disposal, disposal.Task, null);
        if (first is not null)
        {
            return new ValueTask(first);
        }

        _ = DisposeOnceAsync(disposal);
        return new ValueTask(disposal.Task);
    }

    private async Task DisposeOnceAsync(TaskCompletionSource disposal)
    {
        try
        {
            await CloseAsync().ConfigureAwait(false);
            _loop.Dispose();
            Metrics.Dispose();
            disposal.SetResult();
        }
        catch (Exception ex)
        {
            disposal.SetException(ex);
        }
    }
}
