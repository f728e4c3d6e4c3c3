using Tether.Heartbeat;
using Tether.Link;
using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Server;

/// <summary>
/// A reliable session on a <see cref="TetherServer"/>: it outlives the client's connections. While the client is away
/// the session is detached and kept for <see cref="ServerSessionOptions.DetachedTimeToLive"/>; messages sent to it
/// meanwhile are buffered and delivered, in order and once, when the client resumes.
/// </summary>
public sealed class TetherSession : IWheelEntry
{
    private readonly TetherServer _server;
    private WheelLinks _wheelLinks = new();
    private TetherConnection? _connection;

    // The link carrying the session now (SessionCarrier): a field here rather than an object, as every idle session pays for it.
    private PeerLink? _carrier;
    private long _expiresAt = long.MaxValue;

    internal TetherSession(TetherServer server, SessionId id, string? clientId)
    {
        _server = server;
        ClientId = clientId;
        Core = new ReliableSession(id, server.SessionSettings);
    }

    /// <summary>The session id the client presents to resume.</summary>
    public SessionId Id => Core.Id;

    /// <summary>The client id of the connection that started the session, or null for an anonymous client.</summary>
    public string? ClientId { get; }

    /// <summary>The connection using the session now, or null while it is detached.</summary>
    public TetherConnection? Connection => Volatile.Read(ref _connection);

    /// <summary>True while a connection uses the session.</summary>
    public bool IsAttached => Connection is not null;

    /// <summary>True once the session was discarded (expired, overflowed, superseded); it accepts nothing more.</summary>
    public bool IsLost => Core.Lost is not null;

    /// <summary>Messages sent (or buffered) to the client and not yet acknowledged by it.</summary>
    public int UnacknowledgedMessages => Core.UnacknowledgedCount;

    /// <summary>Payload bytes of <see cref="UnacknowledgedMessages"/>.</summary>
    public int UnacknowledgedBytes => Core.UnacknowledgedBytes;

    /// <summary>Sequence number of the last message sent to the client.</summary>
    public ulong LastSentSequence => Core.LastSent;

    /// <summary>Highest sequence number the client acknowledged.</summary>
    public ulong AcknowledgedSequence => Core.LastAcknowledged;

    /// <summary>Sequence number of the last message received from the client, in order.</summary>
    public ulong LastReceivedSequence => Core.LastReceived;

    internal ReliableSession Core { get; }

    /// <summary>
    /// Accepts <paramref name="message"/> into the session: it is numbered, kept until the client acknowledges it, and
    /// sent now if the client is connected (or on resume if not). Completes when accepted, not when delivered; see
    /// <see cref="SendAndWaitForAckAsync"/>. When the replay buffer is full the server's
    /// <see cref="ServerSessionOptions.SlowConsumerPolicy"/> applies. Throws <see cref="TetherException"/> once the
    /// session is lost, and <see cref="ArgumentException"/> for a message larger than the client accepts.
    /// </summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        // Accepted at once is the common case: it completes without an async state machine. Any other outcome has
        // changed nothing, and SendCoreAsync starts over with the policy for it.
        if (Core.Persistence is null && SessionCarrier.TrySend(Core, ref _carrier, message.Span, overLimit: false, out _) == SendResult.Queued)
        {
            return ValueTask.CompletedTask;
        }

        return AwaitSendAsync(message, cancellationToken);
    }

    /// <summary>
    /// Like <see cref="SendAsync"/>, then waits until the client has acknowledged the message (it has been handed to
    /// the client's application). Throws <see cref="TetherException"/> if the session is lost first.
    /// </summary>
    public async Task SendAndWaitForAckAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken = default)
    {
        var sequence = await SendCoreAsync(message, pushId: null, cancellationToken).ConfigureAwait(false);
        await Core.WaitForAckAsync(sequence, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A push from another node (cluster mode): as <see cref="SendAsync"/>, once per <paramref name="pushId"/>. False
    /// when the session took that push already (a retry of it), so nothing was sent.
    /// </summary>
    internal async ValueTask<bool> SendPushAsync(ReadOnlyMemory<byte> message, string pushId, CancellationToken cancellationToken) =>
        await SendCoreAsync(message, pushId, cancellationToken, failFast: false).ConfigureAwait(false) != 0;

    /// <inheritdoc/>
    public override string ToString() => ClientId is null ? $"session {Id}" : $"session {Id} ({ClientId})";

    ref WheelLinks IWheelEntry.WheelLinks => ref _wheelLinks;

    long IWheelEntry.OnWheelDue(long now)
    {
        if (IsLost || IsAttached)
        {
            return long.MaxValue;
        }

        var expiresAt = Volatile.Read(ref _expiresAt);
        if (now < expiresAt)
        {
            return expiresAt;
        }

        _server.LoseSession(this, SessionLostReason.Expired, $"detached for longer than {_server.Options.Sessions.DetachedTimeToLive.TotalSeconds:0.###} s");
        return long.MaxValue;
    }

    /// <summary>
    /// A broadcast: never waits; a full buffer applies the policy at once. In a cluster, <paramref name="clusterId"/> is
    /// its position in the broadcast log: a session takes each position once, in order, and not while it catches up on
    /// what it missed on another node (see <see cref="Cluster.ClusterBroadcastFeed"/>).
    /// </summary>
    internal bool TrySendBroadcast(ReadOnlySpan<byte> message, ulong clusterId)
    {
        if (clusterId != 0 && Core.Persistence is Cluster.SessionRecord record && !record.TakeBroadcast(clusterId))
        {
            return false;
        }

        switch (TrySendHere(message, overLimit: false, pushId: null, clusterId, out _, out var stored))
        {
            case SendResult.Queued:
                Observe(stored);
                return !stored.IsFaulted;
            case SendResult.Full:
                var accepted = Overflowed(message, pushId: null, clusterId, out _, out stored);
                Observe(stored);
                return accepted;
            default:
                return false;
        }
    }

    internal void Attach(TetherConnection connection)
    {
        Volatile.Write(ref _connection, connection);
        if (Interlocked.Exchange(ref _expiresAt, long.MaxValue) != long.MaxValue)
        {
            _server.Metrics.SessionsDetached.Add(-1);
        }
    }

    /// <summary>Attaches the session to <paramref name="link"/> (see <see cref="SessionCarrier.Attach"/>).</summary>
    internal int AttachLink<TState>(PeerLink link, ulong peerLastReceived, int peerMaxFrame, TState state, Action<System.Buffers.IBufferWriter<byte>, ulong, TState> writeHandshake)
    {
        if (Core.Persistence is not Cluster.SessionRecord record)
        {
            return SessionCarrier.Attach(Core, ref _carrier, link, peerLastReceived, peerMaxFrame, state, writeHandshake);
        }

        // Replays only what Redis has; the rest follows as its appends are confirmed (SessionRecord.OnStored).
        lock (record.Gate)
        {
            return SessionCarrier.Attach(Core, ref _carrier, link, peerLastReceived, peerMaxFrame, state, writeHandshake, record.StoredThrough);
        }
    }

    /// <summary>Writes the stored messages after <paramref name="after"/> up to <paramref name="through"/> to the client, if it is connected.</summary>
    internal void WriteStored(ulong after, ulong through) =>
        Volatile.Read(ref _carrier)?.WriteStoredSessionFrames(Core, after, through);

    /// <summary>Detaches the session from <paramref name="link"/> if that is where it is.</summary>
    internal bool DetachLink(PeerLink link) => SessionCarrier.Detach(Core, ref _carrier, link);

    /// <summary>True while the session waits, detached, for its client (counted in the detached-sessions metric).</summary>
    internal bool IsWaitingForResume => Volatile.Read(ref _expiresAt) != long.MaxValue;

    /// <summary>The connection ended: keep the session for its time to live.</summary>
    internal bool Detach(TetherConnection connection, PeerLink link)
    {
        if (!DetachLink(link) || Interlocked.CompareExchange(ref _connection, null, connection) != connection)
        {
            return false;
        }

        if (Core.Persistence is not null)
        {
            // In a cluster the session waits in Redis (which expires it), not here: any node can resume it.
            _server.SessionStore.OnDetached(this);
            return true;
        }

        var ttl = _server.Options.Sessions.DetachedTimeToLive;
        var expiresAt = _server.TimeProvider.GetTimestamp() + (long)(ttl.TotalSeconds * _server.TimeProvider.TimestampFrequency);
        if (Interlocked.Exchange(ref _expiresAt, expiresAt) == long.MaxValue)
        {
            _server.Metrics.SessionsDetached.Add(1);
        }

        _server.Wheel.Schedule(this, expiresAt);
        return true;
    }

    /// <summary>The session is gone: off the wheel, and out of the detached count.</summary>
    internal void Retire()
    {
        _server.Wheel.Remove(this);
        if (Interlocked.Exchange(ref _expiresAt, long.MaxValue) != long.MaxValue)
        {
            _server.Metrics.SessionsDetached.Add(-1);
        }
    }

    private async ValueTask AwaitSendAsync(ReadOnlyMemory<byte> message, CancellationToken cancellationToken) =>
        await SendCoreAsync(message, pushId: null, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Accepts the message and returns its sequence number; 0 when push <paramref name="pushId"/> was taken before. In a
    /// cluster it waits for Redis's answer at most the operation timeout (<paramref name="failFast"/>), or until it comes.
    /// </summary>
    private async ValueTask<ulong> SendCoreAsync(ReadOnlyMemory<byte> message, string? pushId, CancellationToken cancellationToken, bool failFast = true)
    {
        var options = _server.Options.Sessions;
        var time = _server.TimeProvider;
        long? waitUntil = null;
        while (true)
        {
            switch (TrySendHere(message.Span, overLimit: false, pushId, broadcastId: 0, out var sequence, out var stored))
            {
                case SendResult.Queued:
                    await (failFast && Core.Persistence is Cluster.SessionRecord record ? record.WaitBounded(stored) : stored).ConfigureAwait(false);
                    return sequence;
                case SendResult.TooLarge:
                    throw new ArgumentException($"a message of {message.Length} bytes exceeds the client's frame limit ({Core.MaxPayload} bytes of payload)", nameof(message));
                case SendResult.Closed:
                    throw new TetherException($"{this} was lost ({Core.Lost?.Reason}); the message was not accepted");
            }

            if (options.SlowConsumerPolicy == SlowConsumerPolicy.Wait && IsAttached)
            {
                waitUntil ??= time.GetTimestamp() + (long)(options.SlowConsumerTimeout.TotalSeconds * time.TimestampFrequency);
                var remaining = time.GetElapsedTime(time.GetTimestamp(), waitUntil.Value);
                if (remaining > TimeSpan.Zero)
                {
                    try
                    {
                        await Core.WaitForRoomAsync(cancellationToken).WaitAsync(remaining, time, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                    catch (TimeoutException)
                    {
                    }
                }
            }

            if (Overflowed(message.Span, pushId, broadcastId: 0, out sequence, out var storedOver))
            {
                await (failFast && Core.Persistence is Cluster.SessionRecord overRecord ? overRecord.WaitBounded(storedOver) : storedOver).ConfigureAwait(false);
                return sequence;
            }

            throw new TetherException($"{this} was dropped: the client did not acknowledge {UnacknowledgedBytes} bytes (limit {options.MaxUnacknowledgedBytes}); the message was not accepted");
        }
    }

    /// <summary>
    /// The message does not fit. Attached with policy Wait or Disconnect: keep it over the limit and close the slow
    /// connection (the client resumes and gets everything). Otherwise the session is lost with OVERFLOW.
    /// </summary>
    private bool Overflowed(ReadOnlySpan<byte> message, string? pushId, ulong broadcastId, out ulong sequence, out Task stored)
    {
        sequence = 0;
        stored = Task.CompletedTask;
        var connection = Connection;
        if (connection is not null && _server.Options.Sessions.SlowConsumerPolicy != SlowConsumerPolicy.DropSession)
        {
            var accepted = TrySendHere(message, overLimit: true, pushId, broadcastId, out sequence, out stored) == SendResult.Queued;
            _server.CloseSlowConsumer(connection, UnacknowledgedBytes, _server.Options.Sessions.MaxUnacknowledgedBytes);
            return accepted;
        }

        _server.LoseSession(this, SessionLostReason.Overflow, $"{UnacknowledgedBytes} bytes unacknowledged, limit {_server.Options.Sessions.MaxUnacknowledgedBytes}", refusedMessages: 1);
        if (connection is not null)
        {
            _server.CloseSlowConsumer(connection, UnacknowledgedBytes, _server.Options.Sessions.MaxUnacknowledgedBytes);
        }

        return false;
    }

    /// <summary>
    /// Sends in the session; in a cluster, also issues the message's append to Redis (<paramref name="stored"/>
    /// completes when Redis has it), numbering and issuing under the record's gate so appends leave in order. A push
    /// the session took before (<paramref name="pushId"/>) is queued as sequence 0 and not sent again; a cluster
    /// broadcast's position (<paramref name="broadcastId"/>, else 0) is stored with it.
    /// </summary>
    private SendResult TrySendHere(ReadOnlySpan<byte> message, bool overLimit, string? pushId, ulong broadcastId, out ulong sequence, out Task stored)
    {
        if (Core.Persistence is not Cluster.SessionRecord record)
        {
            stored = Task.CompletedTask;
            return SessionCarrier.TrySend(Core, ref _carrier, message, overLimit, out sequence);
        }

        if (!record.CanAppend)
        {
            // Refused before it is numbered: nothing to undo, and the connection goes on.
            sequence = 0;
            stored = Task.FromException(new TetherException($"scale-out: Redis unavailable; the message was not accepted into {this}"));
            return SendResult.Queued;
        }

        lock (record.Gate)
        {
            if (pushId is not null && record.HasPush(pushId))
            {
                sequence = 0;
                stored = Task.CompletedTask;
                return SendResult.Queued;
            }

            // Numbered now, written to the client once Redis has it (write-ahead): a client never holds a message that
            // a node's death could take from the store.
            var result = Core.TryNumber(message, overLimit, out sequence) switch
            {
                SessionSendResult.Accepted => SendResult.Queued,
                SessionSendResult.Full => SendResult.Full,
                SessionSendResult.TooLarge => SendResult.TooLarge,
                _ => SendResult.Closed,
            };
            if (result != SendResult.Queued)
            {
                stored = Task.CompletedTask;
                return result;
            }

            if (pushId is not null)
            {
                record.AddPush(pushId);
            }

            stored = record.Append(sequence, message, pushId ?? string.Empty, broadcastId);
            return result;
        }
    }

    /// <summary>A broadcast does not wait for Redis: a failed append closes the connection (the store does), nothing more to do.</summary>
    private static void Observe(Task stored)
    {
        if (!stored.IsCompleted || stored.IsFaulted)
        {
            _ = stored.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
