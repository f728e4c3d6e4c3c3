using System.Collections.Concurrent;

namespace Tether.Server;

/// <summary>
/// The parts of a connection that most connections never use (application items, the Closed token, a waiter for the
/// end of its receive loop), created together on first use: one reference in every connection instead of three.
/// </summary>
internal sealed class ConnectionExtras
{
    public ConcurrentDictionary<string, object?>? Items;
    public CancellationTokenSource? ClosedSource;
    public TaskCompletionSource? ReceiveEnded;
}
