namespace Tether.Link;

// Per-connection message totals for the admin API: two longs per link, added per parse pass and per send, never
// allocating (the bytes are the transport's).
internal abstract partial class ConnectionLink
{
    private long _messagesReceived;
    private long _messagesSent;

    /// <summary>Application messages received so far.</summary>
    public long MessagesReceived => Volatile.Read(ref _messagesReceived);

    /// <summary>Application messages queued for the peer so far (broadcast copies included).</summary>
    public long MessagesSent => Volatile.Read(ref _messagesSent);

    // One reader per link: a plain add is enough.
    protected void CountMessagesReceived(int messages) => _messagesReceived += messages;

    // Senders are any threads (pushes, broadcasts, the session carrier).
    protected void CountMessagesSent(int messages) => Interlocked.Add(ref _messagesSent, messages);
}
