namespace Tether.Link;

/// <summary>
/// The link is its connection's thread-pool work item. The connection is a public type, and implementing
/// <see cref="IThreadPoolWorkItem"/> there would let applications run its internals; a delegate would allocate on every
/// hop to the pool; and a separate work-item object would cost memory on every idle connection. The link exists anyway,
/// one per connection, so it carries the work item and calls back into its owner.
/// </summary>
internal abstract partial class ConnectionLink : IThreadPoolWorkItem
{
    private ILinkWorker? _worker;

    /// <summary>Runs <paramref name="worker"/>'s <see cref="ILinkWorker.RunQueued"/> on the thread pool, allocating nothing.</summary>
    public void QueueWork(ILinkWorker worker)
    {
        // The same owner every time; queuing publishes the write to the thread that runs the item.
        _worker = worker;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute() => _worker!.RunQueued();
}
