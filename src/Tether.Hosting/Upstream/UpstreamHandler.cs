using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tether.Server;
using Tether.Sessions;

namespace Tether.Hosting.Upstream;

/// <summary>
/// Delivers what clients send, and their connects and disconnects, to an HTTP back end as JSON batches
/// (<see cref="UpstreamOptions.Url"/>; the contract is in docs/operations.md): at least once, each client's events in
/// order, and with back-pressure. When the endpoint is slow or down, a client whose undelivered bytes (or everyone's)
/// reach the budget is not read from until some are delivered: its own TCP window fills and it slows down, and the
/// server's memory stays bounded; nothing is dropped. Use it as the server's handler, alone or around the application's
/// own (<paramref name="inner"/> sees every call after the event is queued). Dispose it after the server has stopped:
/// that delivers what is still queued, for at most <see cref="UpstreamOptions.ShutdownTimeout"/>.
/// </summary>
/// <param name="options">Where and how to deliver; validated here.</param>
/// <param name="inner">The application's handler, or null.</param>
/// <param name="loggerFactory">For the log lines (category <c>Tether.Hosting.Upstream</c>).</param>
/// <param name="meterFactory">For the <c>Tether.Upstream</c> meter; null: a meter of its own.</param>
/// <param name="timeProvider">The clock of batching, timeouts and backoff.</param>
public sealed class UpstreamHandler(
    UpstreamOptions options,
    TetherServerHandler? inner = null,
    ILoggerFactory? loggerFactory = null,
    IMeterFactory? meterFactory = null,
    TimeProvider? timeProvider = null) : TetherServerHandler, IAsyncDisposable, IDisposable
{
    private readonly State _state = State.Create(options, loggerFactory, meterFactory, timeProvider ?? TimeProvider.System);
    private readonly ConcurrentDictionary<long, ClientBudget> _clients = new();
    private int _stopped;

    /// <summary>Undelivered event bytes now (queued or in flight).</summary>
    public long PendingBytes => _state.Queue.QueuedBytes;

    /// <summary>Clients not read from now, waiting for their events to be delivered.</summary>
    public int PausedClients => _state.Queue.PausedClients;

    /// <inheritdoc />
    public override async ValueTask OnConnectedAsync(TetherConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var budget = _clients.GetOrAdd(connection.Id, static id => new ClientBudget(id));
        Queue(UpstreamEventWriter.Connect(connection, _state.Time.GetUtcNow()), budget, "connect");
        if (inner is not null)
        {
            await inner.OnConnectedAsync(connection).ConfigureAwait(false);
        }

        await WaitForRoom(connection, budget).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override ValueTask OnMessageAsync(TetherConnection connection, ReadOnlySequence<byte> message)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var budget = _clients.GetOrAdd(connection.Id, static id => new ClientBudget(id));
        Queue(UpstreamEventWriter.Message(connection, message, _state.Time.GetUtcNow()), budget, "message");
        var handled = inner?.OnMessageAsync(connection, message) ?? ValueTask.CompletedTask;
        if (!handled.IsCompletedSuccessfully)
        {
            return AfterInnerAsync(handled, connection, budget);
        }

        handled.GetAwaiter().GetResult();
        return WaitForRoom(connection, budget);
    }

    /// <inheritdoc />
    public override async ValueTask OnDisconnectedAsync(TetherConnection connection, DisconnectInfo info)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(info);

        // Queued whatever the budget: it cannot be refused, and there is one per connection.
        var budget = _clients.TryRemove(connection.Id, out var known) ? known : new ClientBudget(connection.Id);
        Queue(UpstreamEventWriter.Disconnect(connection, info, _state.Time.GetUtcNow()), budget, "disconnect");
        _state.Queue.Unpause(budget);
        if (inner is not null)
        {
            await inner.OnDisconnectedAsync(connection, info).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override ValueTask OnSessionLostAsync(SessionLostInfo info) =>
        inner?.OnSessionLostAsync(info) ?? ValueTask.CompletedTask;

    /// <summary>
    /// Delivers what is queued and stops: returns once the queue is empty, or after
    /// <see cref="UpstreamOptions.ShutdownTimeout"/> or <paramref name="cancellationToken"/>, when the rest is given up
    /// (logged and counted as dropped with reason <c>shutdown</c>). Events that come later are dropped the same way.
    /// Call it after the server has stopped, so the disconnect events are in the queue.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        var queued = _state.Queue.QueuedEvents;
        var abandoned = await _state.Delivery.StopAsync(_state.Options.ShutdownTimeout, cancellationToken).ConfigureAwait(false);
        if (abandoned > 0)
        {
            _state.Log.FlushIncomplete(abandoned, _state.Options.ShutdownTimeout);
        }
        else
        {
            _state.Log.Flushed(queued);
        }

        _state.Delivery.Dispose();
        _state.Http.Dispose();
        _state.Metrics.Dispose();
    }

    /// <summary>As <see cref="StopAsync"/>.</summary>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>As <see cref="StopAsync"/>, blocking; prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => StopAsync().GetAwaiter().GetResult();

    private void Queue(byte[] json, ClientBudget budget, string type)
    {
        if (Volatile.Read(ref _stopped) != 0)
        {
            _state.Metrics.EventsDropped.Add(1, new KeyValuePair<string, object?>("reason", "stopped"));
            _state.Log.LateEvent(type);
            return;
        }

        _state.Queue.Enqueue(new UpstreamEvent(json, budget));
        _state.Metrics.EventsQueued.Add(1, new KeyValuePair<string, object?>("type", type));
    }

    private async ValueTask AfterInnerAsync(ValueTask handled, TetherConnection connection, ClientBudget budget)
    {
        await handled.ConfigureAwait(false);
        await WaitForRoom(connection, budget).ConfigureAwait(false);
    }

    /// <summary>Completes at once within the budget (the common case: no allocation); else pauses the client.</summary>
    private ValueTask WaitForRoom(TetherConnection connection, ClientBudget budget)
    {
        var paused = _state.Queue.PauseIfOverBudget(budget);
        return paused is null ? ValueTask.CompletedTask : PausedAsync(paused, connection, budget);
    }

    private async ValueTask PausedAsync(Task resumed, TetherConnection connection, ClientBudget budget)
    {
        _state.Metrics.ClientsPausedTotal.Add(1);
        _state.Log.ClientPaused(connection.Id, connection.ClientId, budget.QueuedBytes, _state.Queue.QueuedBytes);
        try
        {
            await resumed.WaitAsync(connection.Closed).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The connection closed while paused: its events stay queued, nothing waits for room any more.
            _state.Queue.Unpause(budget);
        }
    }

    /// <summary>Everything built from the options at construction, so the primary constructor stays a list of inputs.</summary>
    private sealed record State(UpstreamOptions Options, UpstreamQueue Queue, HttpClient Http, UpstreamMetrics Metrics, UpstreamLog Log, UpstreamDelivery Delivery, TimeProvider Time)
    {
        public static State Create(UpstreamOptions options, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory, TimeProvider time)
        {
            ArgumentNullException.ThrowIfNull(options);
            options.Validate();
            var queue = new UpstreamQueue(options.MaxPendingBytesPerClient, options.MaxPendingBytes);
            var http = HttpHeaderSettings.CreateClient(options.RequestTimeout);
            var metrics = new UpstreamMetrics(meterFactory, queue);
            var log = new UpstreamLog((loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Tether.Hosting.Upstream"), time);
            log.Started(options.Url!, options.MaxPendingBytesPerClient, options.MaxPendingBytes);
            var delivery = new UpstreamDelivery(options, queue, http, metrics, log, time);
            return new State(options, queue, http, metrics, log, delivery, time);
        }
    }
}
