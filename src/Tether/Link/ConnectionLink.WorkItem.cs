using Tether.Transport;

namespace Tether.Link;

/// <summary>
/// The link is its connection's thread-pool work item. The connection is a public type, and implementing
/// <see cref="IThreadPoolWorkItem"/> there would let applications run its internals; a delegate would allocate on every
/// hop to the pool; and a separate work-item object would cost memory on every idle connection. The link exists anyway,
/// one per connection, so it carries the work item and calls back into its owner. The owner is reached through the
/// transport, whose send-failure observer it already is, rather than through a field of the link's own: every field
/// of a link is paid for once per idle connection.
/// </summary>
internal abstract partial class ConnectionLink : IThreadPoolWorkItem
{
    /// <summary>
    /// Runs <paramref name="worker"/>'s <see cref="ILinkWorker.RunQueued"/> on the thread pool, allocating nothing.
    /// <paramref name="worker"/> must be the transport's <see cref="SocketTransport.SendFailed"/> observer.
    /// </summary>
    public void QueueWork(ILinkWorker worker)
    {
        System.Diagnostics.Debug.Assert(ReferenceEquals(Transport.SendFailed, worker), "the worker is the transport's send-failure observer");
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute() => ((ILinkWorker)Transport.SendFailed!).RunQueued();
}
