namespace Tether.Hostile.Wire;

/// <summary>
/// Bounds the hostile sockets open at once: each is a file descriptor, and the process may open 20,000 in all, some of
/// which the runtime and the good clients need.
/// </summary>
internal sealed class SocketBudget(int max) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(max, max);

    public int Max { get; } = max;

    public int Open => Max - _slots.CurrentCount;

    public async Task<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Lease(_slots);
    }

    public void Dispose() => _slots.Dispose();

    /// <summary>One open socket's slot; disposing it more than once releases it once.</summary>
    internal sealed class Lease(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
