namespace Tether.Hostile.Good;

/// <summary>The good clients together: connected before the flood, exchanging messages through it, checked after it.</summary>
internal sealed class GoodFleet : IAsyncDisposable
{
    private readonly GoodClient[] _clients;
    private readonly CancellationTokenSource _stopSending = new();
    private Task _sending = Task.CompletedTask;

    public GoodFleet(HostileSettings settings) =>
        _clients = Enumerable.Range(0, settings.Good).Select(i => new GoodClient(settings, i)).ToArray();

    public int Count => _clients.Length;

    public EchoCounts Counts => _clients.Aggregate(default(EchoCounts), (sum, client) => sum + client.Counts);

    public int Disconnects => _clients.Sum(c => c.Disconnects);

    public int SessionsLost => _clients.Sum(c => c.SessionsLost);

    public IEnumerable<string> DisconnectReasons => _clients.Select(c => c.LastDisconnect).OfType<string>().Distinct();

    /// <summary>Connects every client; throws if one cannot connect in time.</summary>
    public Task ConnectAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_clients.Select(c => c.ConnectAsync(cancellationToken)));

    public void StartSending(CancellationToken cancellationToken) =>
        _sending = Task.WhenAll(_clients.Select(c => c.SendUntilAsync(_stopSending.Token, cancellationToken)));

    /// <summary>Stops sending and waits up to <paramref name="drain"/> for the echoes still on their way.</summary>
    public async Task StopSendingAsync(TimeSpan drain, CancellationToken cancellationToken)
    {
        await _stopSending.CancelAsync().ConfigureAwait(false);
        await _sending.ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(drain);
        // What has not come back by the deadline is counted as lost.
        await Task.WhenAll(_clients.Select(c => c.WaitForEchoesAsync(deadline.Token))).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public Task CloseAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_clients.Select(c => c.CloseAsync(cancellationToken)));

    public async ValueTask DisposeAsync()
    {
        await _stopSending.CancelAsync().ConfigureAwait(false);
        await _sending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var client in _clients)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        _stopSending.Dispose();
    }
}
