using System.Collections.Concurrent;
using Tether.Client;

namespace Tether.Tests.Support;

/// <summary>Records a client's state changes so tests can await and inspect them.</summary>
internal sealed class StateRecorder
{
    private readonly ConcurrentQueue<ClientStateChangedEventArgs> _events = new();
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public StateRecorder(TetherClient client) => client.StateChanged += (_, e) =>
    {
        _events.Enqueue(e);
        lock (_lock)
        {
            _changed.TrySetResult();
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    };

    public IReadOnlyList<ClientStateChangedEventArgs> Events => [.. _events];

    public int Count(ClientState state) => _events.Count(e => e.Current == state);

    public ClientStateChangedEventArgs? Last(ClientState state) => _events.LastOrDefault(e => e.Current == state);

    /// <summary>Completes when the client has entered <paramref name="state"/> <paramref name="occurrences"/> times; awaits its events.</summary>
    public async Task WaitForAsync(ClientState state, int occurrences = 1)
    {
        using var timeout = new CancellationTokenSource(Timeouts.Event);
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                changed = _changed.Task;
            }

            if (Count(state) >= occurrences)
            {
                return;
            }

            try
            {
                await changed.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"the client did not enter {state} {occurrences} time(s) within {Timeouts.Event.TotalSeconds} s; it went through {string.Join(", ", _events.Select(e => e.Current))}");
            }
        }
    }
}
