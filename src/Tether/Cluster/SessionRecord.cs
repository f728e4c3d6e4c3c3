using StackExchange.Redis;
using Tether.Server;
using Tether.Sessions;

namespace Tether.Cluster;

/// <summary>
/// A session this node owns in Redis: its keys and fence, the appends of its reliable messages (issued in sequence
/// order under <see cref="Gate"/>, so the stream's ids only grow) and the coalesced write-behind of what the client
/// sent (in) and acknowledged (acked): at most one write in flight, the newest values win.
/// </summary>
internal sealed partial class SessionRecord : ISessionPersistence
{
    private readonly RedisSessionStore _store;
    private readonly Lock _writeBehind = new();
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ulong _inTarget;
    private ulong _inWritten;
    private ulong _ackTarget;
    private ulong _ackWritten;
    private bool _flushing;
    private int _state;
    private PushIds? _pushes;

    // Write-ahead: the highest sequence number whose frame was handed to a link (or replayed on attach); frames after it
    // wait for their appends. Under Gate.
    private ulong _written;

    public SessionRecord(RedisSessionStore store, TetherSession session, string storeClientId, long fence, ulong received, ulong acknowledged)
    {
        _store = store;
        Session = session;
        StoreClientId = storeClientId;
        Fence = fence.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _inTarget = _inWritten = received;
        _ackTarget = _ackWritten = acknowledged;
        var keys = store.Keys;
        SessionKey = keys.Session(storeClientId);
        LogKey = keys.SessionLog(storeClientId);
        TombstoneKey = keys.SessionTombstone(storeClientId);
        SidKey = keys.SessionOwnerClient(session.Id.ToString());
    }

    public TetherSession Session { get; }

    public string StoreClientId { get; }

    public string Fence { get; }

    public RedisKey SessionKey { get; }

    public RedisKey LogKey { get; }

    public RedisKey TombstoneKey { get; }

    public RedisKey SidKey { get; }

    /// <summary>Held while a message is numbered and its append issued: appends reach Redis in sequence order.</summary>
    public Lock Gate { get; } = new();

    /// <summary>True while the node owns the session (not released, dropped or broken).</summary>
    public bool IsActive => Volatile.Read(ref _state) == (int)RecordState.Active;

    /// <summary>Completes when a release (the client left) has been written, or given up.</summary>
    public Task Released => _released.Task;

    public void OnReceived(ulong lastReceived)
    {
        lock (_writeBehind)
        {
            if (lastReceived <= _inTarget)
            {
                return;
            }

            _inTarget = lastReceived;
        }

        ScheduleFlush();
    }

    public void OnAcknowledged(ulong acknowledged)
    {
        lock (_writeBehind)
        {
            if (acknowledged <= _ackTarget)
            {
                return;
            }

            _ackTarget = acknowledged;
        }

        ScheduleFlush();
    }

    /// <summary>False while the store cannot take a message: it is refused before it is numbered, and the connection stays.</summary>
    public bool CanAppend => _store.IsAvailable;

    /// <summary>A write of in/acked failed and Redis is usable again: write the newest values.</summary>
    public void RetrySync() => ScheduleFlush();

    /// <summary>
    /// Issues the append of message <paramref name="sequence"/>, brought by push <paramref name="pushId"/> (empty for
    /// none) or cluster broadcast <paramref name="broadcastId"/> (0 for none; the caller holds <see cref="Gate"/>);
    /// completes once Redis has it.
    /// </summary>
    public Task Append(ulong sequence, ReadOnlySpan<byte> payload, string pushId, ulong broadcastId) =>
        IsActive
            ? _store.AppendAsync(this, sequence, payload.ToArray(), pushId, broadcastId == 0 ? string.Empty : BroadcastLogId.Format(broadcastId))
            : Task.FromException(new TetherException($"{Session} is no longer held by this node; the message was not accepted"));

    /// <summary>
    /// Redis confirmed the append of message <paramref name="sequence"/> (and so of every earlier one: appends are
    /// issued in order on one connection): its frame, and any earlier one still waiting, may now go to the client.
    /// </summary>
    public void OnStored(ulong sequence)
    {
        lock (Gate)
        {
            if (sequence <= _written)
            {
                return;
            }

            var after = _written;
            _written = sequence;
            Session.WriteStored(after, sequence);
        }
    }

    /// <summary>Everything up to <paramref name="sequence"/> is in Redis (restored from it): replayed on attach, never held back.</summary>
    public void MarkStoredThrough(ulong sequence)
    {
        lock (Gate)
        {
            _written = Math.Max(_written, sequence);
        }
    }

    /// <summary>What an attach may replay (the caller holds <see cref="Gate"/>): the frames whose appends Redis confirmed.</summary>
    public ulong StoredThrough => _written;

    /// <summary>True when the session took push <paramref name="pushId"/> already (the caller holds <see cref="Gate"/>).</summary>
    public bool HasPush(string pushId) => _pushes?.Contains(pushId) == true;

    /// <summary>Records push <paramref name="pushId"/>, just numbered (the caller holds <see cref="Gate"/>).</summary>
    public void AddPush(string pushId) => (_pushes ??= new PushIds()).Add(pushId);

    /// <summary>The pushes the session took on its previous nodes (from the claim), before it takes any here.</summary>
    public void RememberPushes(IReadOnlyList<string> pushIds)
    {
        // Oldest first, so that the newest stay when there are more than a ring holds.
        for (var i = pushIds.Count - 1; i >= 0; i--)
        {
            if (!HasPush(pushIds[i]))
            {
                AddPush(pushIds[i]);
            }
        }
    }

    /// <summary>Moves to <paramref name="next"/> from Active; false if it had left Active already.</summary>
    public bool TryLeave(RecordState next) => Interlocked.CompareExchange(ref _state, (int)next, (int)RecordState.Active) == (int)RecordState.Active;

    public void MarkReleased() => _released.TrySetResult();

    /// <summary>The values a release writes (the final ones: the session is detached).</summary>
    public (ulong Received, ulong Acknowledged) FinalProgress()
    {
        lock (_writeBehind)
        {
            return (Math.Max(_inTarget, Session.Core.LastReceived), Math.Max(_ackTarget, Session.Core.LastAcknowledged));
        }
    }

    private void ScheduleFlush()
    {
        lock (_writeBehind)
        {
            if (_flushing)
            {
                return;
            }

            _flushing = true;
        }

        // Off the caller's thread: the session calls in under its lock, and the flush takes the link's send lock.
        ThreadPool.UnsafeQueueUserWorkItem(static record => _ = record.FlushAsync(), this, preferLocal: false);
    }

    private async Task FlushAsync()
    {
        while (true)
        {
            ulong received;
            ulong acknowledged;
            bool receivedAdvanced;
            lock (_writeBehind)
            {
                // A receipt in flight covers the receive position it was issued for.
                if (!IsActive || (_inTarget <= Math.Max(_inWritten, _inIssued) && _ackTarget == _ackWritten))
                {
                    _flushing = false;
                    return;
                }

                received = _inTarget;
                acknowledged = _ackTarget;
                receivedAdvanced = received > _inWritten;
            }

            if (!await _store.SyncAsync(this, received, acknowledged).ConfigureAwait(false))
            {
                lock (_writeBehind)
                {
                    _flushing = false;
                }

                return;
            }

            lock (_writeBehind)
            {
                _inWritten = received;
                _ackWritten = acknowledged;
            }

            if (receivedAdvanced && Session.Core.OnInboundPersisted(received) && Session.Connection is { IsPlain: false } connection)
            {
                connection.Link.FlushAck(force: true, 0);
            }
        }
    }
}

/// <summary>Where a <see cref="SessionRecord"/> is in its life on this node.</summary>
internal enum RecordState
{
    Active,
    Releasing,
    Dropped,
}
