using Tether.Protocol;

namespace Tether.Client;

/// <summary>
/// A client's lifecycle state and the one lock that orders it: the state, the run loop (started once), the connection
/// that is current, whether a close was requested, and how the client ended. A connection becomes current under the
/// same lock a close takes (<see cref="Publish"/>, <see cref="RequestClose"/>), so a close that arrives during a
/// handshake is seen by the connection that handshake produces.
/// </summary>
internal sealed class ClientLifecycle
{
    private readonly Lock _lock = new();
    private readonly ClientEvents _events;
    private readonly MessageDelivery _delivery;
    private readonly ClientLog _log;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<ClientConnection> _connected = NewConnectedSignal();
    private TaskCompletionSource? _firstOutcome;
    private ClientConnection? _current;
    private ClientState _state;
    private Exception? _terminalError;
    private Task? _run;
    private bool _closeRequested;

    public ClientLifecycle(ClientEvents events, MessageDelivery delivery, ClientLog log, TimeProvider time)
    {
        _events = events;
        _delivery = delivery;
        _log = log;
        _time = time;
    }

    public ClientState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    /// <summary>The connection messages go to now, if any.</summary>
    public ClientConnection? Current => Volatile.Read(ref _current);

    /// <summary>Completes when the client is closed for good; faulted with the terminal error, if any.</summary>
    public Task Completion => _completion.Task;

    /// <summary>
    /// Starts <paramref name="loop"/> the first time; every call gets the first outcome (connected, or closed for good
    /// before that). Throws once the client was closed without having been started.
    /// </summary>
    public Task StartOnce(ReconnectLoop loop)
    {
        lock (_lock)
        {
            if (_run is not null && _firstOutcome is null)
            {
                throw new TetherException("the client is closed");
            }

            if (_run is null)
            {
                _firstOutcome = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _run = loop.RunAsync();
            }

            return _firstOutcome!.Task;
        }
    }

    /// <summary>The first connection is open and running: <see cref="StartOnce"/>'s callers may go on.</summary>
    public void ReportFirstConnected() => _firstOutcome?.TrySetResult();

    /// <summary>
    /// Marks the client as closing and returns the run loop to wait for, with the connection to close
    /// (<paramref name="current"/>). A client never started is closed here and now.
    /// </summary>
    public Task RequestClose(out ClientConnection? current)
    {
        Task? run;
        ClientStateChangedEventArgs? closed = null;
        lock (_lock)
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
                _delivery.Complete();
                _completion.TrySetResult();
            }
        }

        if (closed is not null)
        {
            _events.PostStateChanged(closed);
        }

        return run;
    }

    /// <summary>
    /// Makes <paramref name="connection"/> current and wakes the senders waiting for one. True when a close was
    /// requested before: the caller must close the connection, since that close found nothing to close.
    /// </summary>
    public bool Publish(ClientConnection connection)
    {
        lock (_lock)
        {
            Volatile.Write(ref _current, connection);
            _connected.TrySetResult(connection);
            return _closeRequested;
        }
    }

    /// <summary>The current connection has ended: senders wait for the next one.</summary>
    public void Unpublish()
    {
        lock (_lock)
        {
            Volatile.Write(ref _current, null);
            _connected = NewConnectedSignal();
        }
    }

    /// <summary>
    /// What a sender waits on for a connection; throws once the client is closed, or when it was never started.
    /// </summary>
    public Task<ClientConnection> NextConnection()
    {
        lock (_lock)
        {
            if (_state == ClientState.Closed)
            {
                throw new TetherException("the client is closed", _terminalError ?? new OperationCanceledException());
            }

            if (_run is null)
            {
                throw new InvalidOperationException("call ConnectAsync before SendAsync");
            }

            return _connected.Task;
        }
    }

    /// <summary>Records a transition and queues <see cref="TetherClient.StateChanged"/>: handlers see the transitions in order.</summary>
    public void SetState(ClientState state, ClientStateChangedEventArgs args)
    {
        lock (_lock)
        {
            _state = state;
        }

        _events.PostStateChanged(args);
    }

    /// <summary>Ends the client for good, with <paramref name="error"/> when it did not end by being closed.</summary>
    public void Finish(Exception? error, DisconnectInfo? disconnect)
    {
        lock (_lock)
        {
            _terminalError = error;
            _connected.TrySetException(error ?? new TetherException("the client is closed"));
            _connected.Task.Exception?.Handle(_ => true);
        }

        SetState(ClientState.Closed, new ClientStateChangedEventArgs(State, ClientState.Closed) { Exception = error, Disconnect = disconnect, Timestamp = _time.GetUtcNow() });

        // The Closed event is the last: nothing is raised after it.
        _ = _events.CompleteAsync();
        if (error is not null)
        {
            _log.Closed(error.Message);
            _delivery.Complete();
            _firstOutcome?.TrySetException(error);
            _completion.TrySetException(error);
            _completion.Task.Exception?.Handle(_ => true);
        }
        else
        {
            _delivery.Complete();
            _firstOutcome?.TrySetCanceled();
            _completion.TrySetResult();
        }
    }

    private static TaskCompletionSource<ClientConnection> NewConnectedSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
