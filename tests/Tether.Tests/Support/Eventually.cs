namespace Tether.Tests.Support;

/// <summary>Polls a condition that real sockets make true, bounded by <see cref="Timeouts.Event"/>.</summary>
internal static class Eventually
{
    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Timeouts.Event);
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }
}
