namespace Tether.Link;

/// <summary>The owner of a link, for work the link queues to the thread pool on its behalf (<see cref="ConnectionLink.QueueWork"/>).</summary>
internal interface ILinkWorker
{
    /// <summary>Runs on a thread-pool thread, once per <see cref="ConnectionLink.QueueWork"/>.</summary>
    void RunQueued();
}
