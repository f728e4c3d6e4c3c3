using Tether.Diagnostics;

namespace Tether.Client;

/// <summary>
/// Raises a <see cref="TetherClient"/>'s events through one <see cref="CallbackQueue"/>: in the order they were posted,
/// each handler isolated, never on the run loop or the receive loop that posts them. Also keeps the latest round-trip
/// time, which arrives with its event.
/// </summary>
internal sealed class ClientEvents
{
    private readonly TetherClient _sender;
    private readonly TetherMetrics _metrics;
    private readonly ClientLog _log;
    private readonly CallbackQueue _queue;
    private long _rttTicks = -1;

    public ClientEvents(TetherClient sender, TetherMetrics metrics, ClientLog log)
    {
        _sender = sender;
        _metrics = metrics;
        _log = log;
        _queue = new CallbackQueue(OnCallbackFailed);
    }

    public event EventHandler<ClientStateChangedEventArgs>? StateChanged;

    public event EventHandler<RoundTripTimeEventArgs>? RoundTripTimeMeasured;

    public event EventHandler<SessionResumedEventArgs>? SessionResumed;

    public event EventHandler<SessionLostEventArgs>? SessionLost;

    /// <summary>True when someone listens for a lost session: only then are its unacknowledged messages kept to hand over.</summary>
    public bool HasSessionLostHandlers => SessionLost is not null;

    public TimeSpan? LatestRoundTripTime => Volatile.Read(ref _rttTicks) is var ticks and >= 0 ? TimeSpan.FromTicks(ticks) : null;

    /// <summary>True inside a handler: waiting there for the queue would wait for itself.</summary>
    public bool IsCurrent => _queue.IsCurrent;

    /// <summary>Completes once every event posted before has been raised.</summary>
    public Task FlushAsync() => _queue.FlushAsync();

    /// <summary>Raises nothing more after what is queued; completes once that has been raised.</summary>
    public Task CompleteAsync() => _queue.CompleteAsync();

    public void PostStateChanged(ClientStateChangedEventArgs args) => _queue.Post(nameof(StateChanged), () => Raise(StateChanged, args, nameof(StateChanged)));

    public void PostSessionResumed(SessionResumedEventArgs args) => _queue.Post(nameof(SessionResumed), () => Raise(SessionResumed, args, nameof(SessionResumed)));

    public void PostSessionLost(SessionLostEventArgs args) => _queue.Post(nameof(SessionLost), () => Raise(SessionLost, args, nameof(SessionLost)));

    /// <summary>What a connection's heartbeat reports: recorded at once, raised only if someone listens.</summary>
    public void OnRoundTripMeasured(TimeSpan rtt)
    {
        Volatile.Write(ref _rttTicks, rtt.Ticks);
        if (RoundTripTimeMeasured is not null)
        {
            _queue.Post(nameof(RoundTripTimeMeasured), () => Raise(RoundTripTimeMeasured, new RoundTripTimeEventArgs(rtt), nameof(RoundTripTimeMeasured)));
        }
    }

    /// <summary>Counts and logs an application callback that threw; the client goes on.</summary>
    public void OnCallbackFailed(string callback, Exception exception)
    {
        _metrics.HandlerErrors.Add(1, new KeyValuePair<string, object?>("callback", callback));
        _log.HandlerFailed(callback, exception);
    }

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
                ((EventHandler<TArgs>)handler)(_sender, args);
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
