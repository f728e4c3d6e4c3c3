using System.Collections.Concurrent;
using Tether.Client;

namespace Tether.Tests.Support;

/// <summary>Records a client's state changes so tests can wait for and inspect them.</summary>
internal sealed class StateRecorder
{
    private readonly ConcurrentQueue<ClientStateChangedEventArgs> _events = new();

    public StateRecorder(TetherClient client) => client.StateChanged += (_, e) => _events.Enqueue(e);

    public IReadOnlyList<ClientStateChangedEventArgs> Events => [.. _events];

    public int Count(ClientState state) => _events.Count(e => e.Current == state);

    public ClientStateChangedEventArgs? Last(ClientState state) => _events.LastOrDefault(e => e.Current == state);

    public Task WaitForAsync(ClientState state, int occurrences = 1) => WaitAsync(() => Count(state) >= occurrences);

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Timeouts.Event;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the client did not reach the expected state in time");
            }

            await Task.Delay(5);
        }
    }
}
