namespace Tether.Hosting.Upstream;

/// <summary>
/// One connection's share of the undelivered bytes, and its waiter while it is paused. Guarded by the
/// <see cref="UpstreamQueue"/>'s lock.
/// </summary>
internal sealed class ClientBudget(long connectionId)
{
    public long ConnectionId { get; } = connectionId;

    public long QueuedBytes { get; set; }

    /// <summary>Completed when the client may send again; null while it is not paused.</summary>
    public TaskCompletionSource? Resume { get; set; }
}
