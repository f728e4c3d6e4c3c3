using StackExchange.Redis;
using Tether.Server;
using Tether.Sessions;

namespace Tether.Cluster;

/// <summary>
/// A session this node owns in Redis: its fence, the appends of its reliable messages (issued in sequence order under
/// <see cref="Gate"/>, so the stream's ids only grow) and the coalesced write-behind of what the client sent (in) and
/// acknowledged (acked): at most one write in flight, the newest values win.
/// </summary>
/// <remarks>
/// One lives as long as its session is held here, idle or not, on every node of a cluster: it keeps only numbers and
/// the references it cannot derive. Its Redis keys are built from the client id when a write needs them, the gate is
/// the record's own monitor, the write-behind is lock-free, and the release's task exists only once someone waits.
/// </remarks>
internal sealed partial class SessionRecord : ISessionPersistence
{
    private const int FlushIdle = 0;
    private const int FlushRunning = 1;

    private readonly RedisSessionStore _store;
    private TaskCompletionSource? _released;
    private PushIds? _pushes;

    // The write-behind: targets only grow (raised lock-free by the session's inputs); the written values belong to the
    // one flush in flight (_flushing).
    private ulong _inTarget;
    private ulong _inWritten;
    private ulong _ackTarget;
    private ulong _ackWritten;
    private int _flushing;
    private int _state;
    private int _isReleased;

    // Write-ahead: the highest sequence number whose frame was handed to a link (or replayed on attach); frames after it
    // wait for their appends. Under Gate.
    private ulong _written;

    public SessionRecord(RedisSessionStore store, TetherSession session, long fence, ulong received, ulong acknowledged)
    {
        _store = store;
        Session = session;
        Fence = fence;
        _inTarget = _inWritten = received;
        _ackTarget = _ackWritten = acknowledged;
    }

    public TetherSession Session { get; }

    /// <summary>The client id the keys are under: the application's, or "~" + session id for an anonymous session.</summary>
    public string StoreClientId => StoreClientIdOf(Session.ClientId, Session.Id.ToString());

    /// <summary>The session's fence in Redis when this node took it: every write checks it.</summary>
    public long Fence { get; }

    public RedisKey SessionKey => _store.Keys.Session(StoreClientId);

    public RedisKey LogKey => _store.Keys.SessionLog(StoreClientId);

    public RedisKey TombstoneKey => _store.Keys.SessionTombstone(StoreClientId);

    public RedisKey SidKey => _store.Keys.SessionOwnerClient(Session.Id.ToString());

    /// <summary>
    /// Held while a message is numbered and its append issued: appends reach Redis in sequence order. The record's own
    /// monitor (a separate lock object would cost 40 bytes per session); nothing else locks a record.
    /// </summary>
    public object Gate => this;

    /// <summary>True while the node owns the session (not released, dropped or broken).</summary>
    public bool IsActive => Volatile.Read(ref _state) == (int)RecordState.Active;

    /// <summary>Completes when a release (the client left) has been written, or given up.</summary>
    public Task Released
    {
        get
        {
            if (Volatile.Read(ref _isReleased) != 0)
            {
                return Task.CompletedTask;
            }

            var waiter = Volatile.Read(ref _released);
            if (waiter is null)
            {
                var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                waiter = Interlocked.CompareExchange(ref _released, created, null) ?? created;
            }

            // MarkReleased may have run between the check above and the task's creation.
            if (Volatile.Read(ref _isReleased) != 0)
            {
                waiter.TrySetResult();
            }

            return waiter.Task;
        }
    }

    /// <summary>The client id under which a session's keys are stored.</summary>
    public static string StoreClientIdOf(string? clientId, string sessionId) => clientId ?? "~" + sessionId;

    public ulong InboundPersisted => Math.Max(Volatile.Read(ref _inWritten), Volatile.Read(ref _inReceipted));

    /// <summary>Raises the receive position; its write is the message's receipt (<see cref="IssueReceipt"/>), issued before the handler sees it.</summary>
    public void OnReceived(ulong lastReceived) => RaiseTo(ref _inTarget, lastReceived);

    public void OnAcknowledged(ulong acknowledged)
    {
        if (RaiseTo(ref _ackTarget, acknowledged))
        {
            ScheduleFlush();
        }
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

    public void MarkReleased()
    {
        Volatile.Write(ref _isReleased, 1);
        Volatile.Read(ref _released)?.TrySetResult();
    }

    /// <summary>The values a release writes (the final ones: the session is detached).</summary>
    public (ulong Received, ulong Acknowledged) FinalProgress() =>
        (Math.Max(Volatile.Read(ref _inTarget), Session.Core.LastReceived), Math.Max(Volatile.Read(ref _ackTarget), Session.Core.LastAcknowledged));

    /// <summary>Raises <paramref name="target"/> to <paramref name="value"/>; false when it was there already.</summary>
    private static bool RaiseTo(ref ulong target, ulong value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    private bool HasUnwritten() => Volatile.Read(ref _inTarget) > InboundPersisted || Volatile.Read(ref _ackTarget) != _ackWritten;

    private void ScheduleFlush()
    {
        if (Interlocked.Exchange(ref _flushing, FlushRunning) == FlushRunning)
        {
            return;
        }

        // Off the caller's thread: the session calls in under its lock, and the flush takes the link's send lock.
        ThreadPool.UnsafeQueueUserWorkItem(static record => _ = record.FlushAsync(), this, preferLocal: false);
    }

    /// <summary>
    /// Ends the flush when nothing is left to write; false when a target was raised meanwhile and this flush took
    /// the turn back (the raise saw a flush running and left the write to it).
    /// </summary>
    private bool TryEndFlush()
    {
        // A full fence before the targets are read again: a raise either sees no flush running or is seen here.
        Interlocked.Exchange(ref _flushing, FlushIdle);
        return !(IsActive && HasUnwritten() && Interlocked.Exchange(ref _flushing, FlushRunning) == FlushIdle);
    }

    private async Task FlushAsync()
    {
        while (true)
        {
            if (!IsActive || !HasUnwritten())
            {
                if (TryEndFlush())
                {
                    return;
                }

                continue;
            }

            var received = Volatile.Read(ref _inTarget);
            var acknowledged = Volatile.Read(ref _ackTarget);
            var receivedAdvanced = received > InboundPersisted;
            if (!await _store.SyncAsync(this, received, acknowledged).ConfigureAwait(false))
            {
                // Dropped, or failed and left to RetrySync: not retried from here.
                Volatile.Write(ref _flushing, FlushIdle);
                return;
            }

            Volatile.Write(ref _inWritten, received);
            _ackWritten = acknowledged;
            if (receivedAdvanced && Session.Core.OnInboundPersisted() && Session.Connection is { IsPlain: false } connection)
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
