namespace Tether.Cluster;

// Receipts: the receive position of a message is written to Redis before the application sees the message. The write
// is issued, not awaited, ahead of anything the handler then sends through this node: Redis runs one connection's
// commands in order, so whatever the handler's message caused in Redis (an echo's append, a push) is never there
// without the receipt. A node that dies before the receipt ran had not let anything out either (write-ahead), so the
// client's resend is handled once, on the node it resumes on.
internal sealed partial class SessionRecord
{
    private ulong _inReceipted;

    /// <summary>An append as a sender waits for it: at most the operation timeout.</summary>
    public Task WaitBounded(Task append) => append.IsCompleted ? append : _store.WaitForAppendAsync(this, append);

    /// <summary>Message <paramref name="received"/> is about to be handed to the application: issue its receipt now.</summary>
    public void IssueReceipt(ulong received)
    {
        if (IsActive && received > InboundPersisted)
        {
            _ = WriteReceiptAsync(received, Volatile.Read(ref _ackTarget));
        }
    }

    /// <summary>Redis has the receive position up to <paramref name="received"/> (written by a restore).</summary>
    public void MarkReceivedStored(ulong received) => RaiseTo(ref _inReceipted, received);

    private async Task WriteReceiptAsync(ulong received, ulong acknowledged)
    {
        // Runs synchronously up to the script's dispatch: the receipt is queued on the Redis connection before this
        // returns. A failed one is written again by the write-behind once Redis is back (the store schedules it).
        if (!await _store.SyncAsync(this, received, acknowledged).ConfigureAwait(false))
        {
            return;
        }

        RaiseTo(ref _inReceipted, received);
        if (Session.Core.OnInboundPersisted() && Session.Connection is { IsPlain: false } connection)
        {
            connection.Link.FlushAck(force: true, 0);
        }
    }
}
