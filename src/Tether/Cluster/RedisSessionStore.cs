using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Tether.Protocol;
using Tether.Server;
using Tether.Sessions;

namespace Tether.Cluster;

/// <summary>
/// Sessions kept in Redis so that they resume on any node: one owner node at a time (the record's owner and fence),
/// every reliable message appended before its sender is told it was accepted, and the receive position written before
/// the client is told it may forget a message (the session withholds acks until then).
/// </summary>
internal sealed partial class RedisSessionStore : SessionStore
{
    private static readonly TimeSpan DisposeWait = TimeSpan.FromSeconds(2);

    /// <summary>How much longer than the session a tombstone lives: a client that resumes this late still hears EXPIRED.</summary>
    internal static readonly TimeSpan TombstoneExtra = TimeSpan.FromHours(1);

    private readonly TetherServer _server;
    private readonly ClusterNode _node;
    private readonly ILogger _logger;
    private readonly SessionStoreMetrics _metrics;
    private readonly ConcurrentDictionary<SessionRecord, Task> _releasing = new();
    private readonly ConcurrentDictionary<SessionRecord, byte> _unsynced = new();
    private volatile bool _killed;

    public RedisSessionStore(TetherServer server, ClusterNode node)
    {
        _server = server;
        _node = node;
        _logger = server.Log.Logger;
        _metrics = new SessionStoreMetrics(server.Metrics.Meter);
    }

    public override bool IsDurable => true;

    public ClusterKeys Keys => _node.Keys;

    private string NodeId => _node.Identity.Id;

    private TimeSpan Timeout => _node.Options.OperationTimeout;

    // Where this node is in the cluster's broadcast log: a new session starts there.
    private ulong BroadcastCursor => _server.Routing?.Feed.Cursor ?? 0;

    // A handshake waits longer than other operations: under a burst of connections a later WELCOME beats a refusal.
    private TimeSpan HandshakeTimeout => _node.Options.HandshakeTimeout;

    /// <summary>False while Redis is unreachable: a message is then refused before it is numbered.</summary>
    public bool IsAvailable => _node.Redis.IsConnected;

    public override async Task StartAsync()
    {
        StartRestoring();
        _node.Redis.ConnectionRestored += OnSyncPossibleAgain;
        if (!await TrySubscribeAsync().ConfigureAwait(false))
        {
            // Redis is away at start: subscribe once it is back (takeovers are detected by fencing meanwhile).
            _node.Redis.ConnectionRestored += OnConnectionRestored;
        }
    }

    public override async ValueTask CreateAsync(TetherSession session)
    {
        var sid = session.Id.ToString();
        var cid = session.ClientId ?? "~" + sid;
        RedisResult result;
        try
        {
            EnsureConnected();
            result = await RunAsync(SessionScripts.Create,
            [
                Keys.Session(cid),
                Keys.SessionLog(cid),
                Keys.SessionTombstone(cid),
                Keys.SessionPushes(cid),
                Keys.SessionOwnerClient(sid),
            ],
            [
                sid,
                NodeId,
                _node.Time.GetUtcNow().ToUnixTimeMilliseconds(),
                cid,
                BroadcastLogId.Format(BroadcastCursor),
            ], HandshakeTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Failed("create", ex);
            _metrics.Refused.Add(1);
            SessionStoreLog.CreateRefused(_logger, ex.Message);
            throw new SessionStoreUnavailableException("the session could not be stored (Redis unavailable)", ex);
        }

        var record = new SessionRecord(this, session, (long)result, 0, 0);
        record.BeginCatchUp(BroadcastCursor);
        session.Core.UsePersistence(record);
        _metrics.Created.Add(1);
    }

    public override async ValueTask<SessionClaim> ClaimAsync(SessionId id, ulong peerLastReceived)
    {
        var sid = id.ToString();
        RedisResult result;
        string cid;
        try
        {
            EnsureConnected();
            var owner = await _node.Database.StringGetAsync(Keys.SessionOwnerClient(sid)).WaitAsync(HandshakeTimeout, _node.Time).ConfigureAwait(false);
            if (owner.IsNull)
            {
                return SessionClaim.Unknown with { Id = id };
            }

            cid = owner.ToString();
            result = await RunAsync(SessionScripts.Claim,
            [
                Keys.Session(cid),
                Keys.SessionLog(cid),
                Keys.SessionTombstone(cid),
                Keys.SessionPushes(cid),
                Keys.SessionOwnerClient(sid),
            ],
            [
                sid,
                NodeId,
                (long)peerLastReceived,
                Keys.Prefix,
            ], HandshakeTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Failed("claim", ex);
            _metrics.Refused.Add(1);
            SessionStoreLog.ClaimRefused(_logger, sid, ex.Message);
            throw new SessionStoreUnavailableException("the session could not be loaded (Redis unavailable)", ex);
        }

        var parts = (RedisResult[])result!;
        switch (parts[0].ToString())
        {
            case "UNKNOWN":
                return SessionClaim.Unknown with { Id = id, StoreClientId = cid };
            case "LOST":
                return ParseTombstone(id, cid, parts[1].ToString());
        }

        var acknowledged = ulong.Parse(parts[3].ToString(), CultureInfo.InvariantCulture);
        var stored = ulong.Parse(parts[2].ToString(), CultureInfo.InvariantCulture);
        var held = new List<ReadOnlyMemory<byte>>();
        var contiguous = true;
        foreach (var entry in (RedisResult[])parts[6]!)
        {
            var fields = (RedisResult[])entry!;
            var entryId = fields[0].ToString();
            var sequence = ulong.Parse(entryId.AsSpan(0, entryId.IndexOf('-', StringComparison.Ordinal)), CultureInfo.InvariantCulture);
            contiguous &= sequence == acknowledged + (ulong)held.Count + 1;
            held.Add((byte[])((RedisResult[])fields[1]!)[1]!);
        }

        contiguous &= acknowledged + (ulong)held.Count == stored;
        var claim = new SessionClaim(SessionClaimOutcome.Claimed)
        {
            Id = id,
            StoreClientId = cid,
            Fence = long.Parse(parts[1].ToString(), CultureInfo.InvariantCulture),
            Out = stored,
            Acknowledged = acknowledged,
            Received = ulong.Parse(parts[4].ToString(), CultureInfo.InvariantCulture),
            PreviousOwner = parts[5].ToString(),
            Held = held,
            Contiguous = contiguous,
            RecentPushes = [.. ((RedisResult[])parts[7]!).Select(p => p.ToString())],
            BroadcastCursor = BroadcastLogId.Parse(parts[8].ToString()),
        };
        if (!contiguous)
        {
            SessionStoreLog.StoredLogBroken(_logger, sid);
        }

        _metrics.Claimed.Add(1);
        SessionStoreLog.Claimed(_logger, sid, cid, claim.PreviousOwner.Length == 0 ? "nobody" : claim.PreviousOwner, held.Count);
        return claim;
    }

    public override async ValueTask LoseClaimedAsync(SessionClaim claim, string reason, long lostMessages)
    {
        var sid = claim.Id.ToString();
        try
        {
            await RunAsync(SessionScripts.Lose,
            [
                Keys.Session(claim.StoreClientId),
                Keys.SessionLog(claim.StoreClientId),
                Keys.SessionTombstone(claim.StoreClientId),
                Keys.SessionPushes(claim.StoreClientId),
                Keys.SessionOwnerClient(sid),
            ],
            [
                sid,
                claim.Fence.ToString(CultureInfo.InvariantCulture),
                NodeId,
                reason,
                lostMessages,
                TombstoneTimeToLive(),
            ]).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            // The record stays owned by this node; a later resume claims it again and decides again.
            Failed("lose", ex);
        }
    }

    public override void Adopt(TetherSession session, SessionClaim claim, ulong peerLastReceived)
    {
        var record = new SessionRecord(this, session, claim.Fence, claim.Received, claim.Acknowledged);
        record.RememberPushes(claim.RecentPushes);
        record.BeginCatchUp(claim.BroadcastCursor);
        session.Core.UsePersistence(record);
        if (peerLastReceived > claim.Out)
        {
            // The client has more than Redis. Frames leave only once their appends are confirmed, so Redis lost
            // confirmed writes (say, a failover to a replica that lagged). The client has all of them, so nothing is
            // held, and numbering goes on after what it has (the claim raised out to match).
            session.Core.Restore(peerLastReceived, [], claim.Received);
            record.OnAcknowledged(peerLastReceived);
        }
        else
        {
            session.Core.Restore(claim.Acknowledged, claim.Held, claim.Received);
        }

        record.MarkStoredThrough(session.Core.LastSent);
    }

    public override void OnDetached(TetherSession session)
    {
        if (_killed || session.Core.Persistence is not SessionRecord record || !record.TryLeave(RecordState.Releasing))
        {
            return;
        }

        var release = ReleaseAsync(record);
        _releasing[record] = release;
        _ = ForgetWhenReleasedAsync(record, release);
    }

    public override async ValueTask<DetachedAppend> TrySendToDetachedAsync(string clientId, ReadOnlyMemory<byte> message, string pushId, string deadNode, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        RedisResult result;
        try
        {
            result = await RunAsync(SessionScripts.AppendDetached,
            [
                Keys.Session(clientId),
                Keys.SessionLog(clientId),
                Keys.SessionTombstone(clientId),
                Keys.SessionPushes(clientId),
            ],
            [
                message.ToArray(),
                pushId,
                deadNode,
                Keys.NodeKeyPrefix,
                ClusterKeys.NodeKeySuffix,
                (long)_server.Options.Sessions.DetachedTimeToLive.TotalMilliseconds,
            ]).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Failed("append-detached", ex);
            throw new TetherException($"the message to {clientId} was not stored: Redis did not confirm it ({ex.Message})", ex);
        }

        switch (result.Resp2Type == ResultType.Integer ? null : result.ToString())
        {
            case null:
                _metrics.Appends.Add(1);
                return DetachedAppend.Appended;
            case "DUP":
                return DetachedAppend.Duplicate;
            case "OWNED":
                return DetachedAppend.Owned;
            default:
                return DetachedAppend.NoSession;
        }
    }

    public override void Kill()
    {
        _killed = true;
        foreach (var session in _server.Sessions)
        {
            if (session.Core.Persistence is SessionRecord record)
            {
                record.TryLeave(RecordState.Dropped);
            }
        }
    }

    public override async ValueTask DisposeAsync()
    {
        var pending = _releasing.Values.ToArray();
        if (pending.Length > 0)
        {
            await Task.WhenAll(pending).WaitAsync(DisposeWait, _node.Time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Issues an append (the caller holds the record's gate, so appends leave in sequence order). The task completes
    /// when Redis answered: a slow Redis delays the frame (write-ahead) but does not cost the client its connection;
    /// only a failed or fenced append does. Callers that must fail fast bound it with <see cref="WaitForAppendAsync"/>.
    /// </summary>
    internal async Task AppendAsync(SessionRecord record, ulong sequence, byte[] payload, string pushId, string broadcastId)
    {
        RedisResult result;
        try
        {
            result = await SessionScripts.Append.EvaluateAsync(_node.Database,
            [
                record.SessionKey,
                record.LogKey,
                Keys.SessionPushes(record.StoreClientId),
            ],
            [
                record.Session.Id.ToString(),
                record.Fence,
                NodeId,
                sequence.ToString(CultureInfo.InvariantCulture) + "-0",
                payload,
                (long)sequence,
                pushId,
                broadcastId,
            ]).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            WriteFailed(record, "append", ex);
            throw new TetherException($"{record.Session}: Redis did not confirm the message ({ex.Message}); it may or may not reach the client", ex);
        }

        switch (result.ToString())
        {
            case SessionScripts.Fenced:
                Drop(record, "a write was fenced: another node holds the session");
                throw new TetherException($"{record.Session} is held by another node now; the message was not accepted");
            case SessionScripts.Gone:
                // Redis lost the session: once it is restored from memory, this message is in it (or will be).
                if (await RestoreForWriteAsync(record, sequence).ConfigureAwait(false))
                {
                    return;
                }

                throw new TetherException($"{record.Session}: Redis lost the session and it is not restored yet; the message may or may not reach the client");
        }

        _metrics.Appends.Add(1);
        record.OnStored(sequence);
    }

    /// <summary>
    /// Waits for an append at most <see cref="ScaleOutOptions.OperationTimeout"/> (fail fast). On a timeout the append
    /// goes on: the message reaches the client if Redis stores it, and the error says so.
    /// </summary>
    internal async Task WaitForAppendAsync(SessionRecord record, Task append)
    {
        try
        {
            await append.WaitAsync(Timeout, _node.Time).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            _ = append.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            Failed("append", ex);
            throw new TetherException($"{record.Session}: Redis did not confirm the message within {Timeout.TotalMilliseconds:0} ms; it reaches the client if Redis stores it", ex);
        }
    }

    /// <summary>Writes in/acked; false when the record is no longer this node's to write (dropped or failed).</summary>
    internal async Task<bool> SyncAsync(SessionRecord record, ulong received, ulong acknowledged, bool afterRestore = false)
    {
        RedisResult result;
        try
        {
            result = await RunAsync(SessionScripts.Sync,
            [
                record.SessionKey,
                record.LogKey,
            ],
            [
                record.Session.Id.ToString(),
                record.Fence,
                NodeId,
                (long)received,
                (long)acknowledged,
            ], BackgroundTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            // Nothing is lost by waiting: the client keeps what the server has not acknowledged. The connection stays;
            // the write is retried once Redis is back.
            Failed("sync", ex);
            SessionStoreLog.WriteFailed(_logger, record.Session.Id.ToString(), record.StoreClientId, "sync", ex.Message);
            _unsynced.TryAdd(record, 0);
            if (_node.Redis.IsConnected)
            {
                // A timeout, not an outage: no reconnect event will come, so retry now.
                RetryUnsynced();
            }

            return false;
        }

        switch (result.ToString())
        {
            case SessionScripts.Fenced:
                Drop(record, "a write was fenced: another node holds the session");
                return false;
            case SessionScripts.Gone:
                // Redis lost the session: restore it from memory, then write again (once).
                return !afterRestore && await RestoreForWriteAsync(record, 0).ConfigureAwait(false) && await SyncAsync(record, received, acknowledged, afterRestore: true).ConfigureAwait(false);
        }

        return true;
    }

    private async Task ForgetWhenReleasedAsync(SessionRecord record, Task release)
    {
        await release.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _releasing.TryRemove(record, out _);
    }

    private async Task ReleaseAsync(SessionRecord record)
    {
        var session = record.Session;
        try
        {
            var (received, acknowledged) = record.FinalProgress();
            var ttl = (long)_server.Options.Sessions.DetachedTimeToLive.TotalMilliseconds;
            var result = await IssueRelease().ConfigureAwait(false);
            if (result.ToString() == SessionScripts.Gone && await RestoreForWriteAsync(record, 0).ConfigureAwait(false))
            {
                // Redis lost the session: restored from memory, it can wait in Redis for its client after all.
                result = await IssueRelease().ConfigureAwait(false);
            }

            Task<RedisResult> IssueRelease()
            {
                lock (record.Gate)
                {
                    // Under the gate: every append issued before is ahead of the release on the connection.
                    return RunAsync(SessionScripts.Release,
                    [
                        record.SessionKey,
                        record.LogKey,
                        record.TombstoneKey,
                        record.SidKey,
                    ],
                    [
                        session.Id.ToString(),
                        record.Fence,
                        NodeId,
                        (long)received,
                        (long)acknowledged,
                        ttl,
                        TombstoneTimeToLive(),
                    ], BackgroundTimeout);
                }
            }
            if (result.ToString() == SessionScripts.Fenced)
            {
                _metrics.Fenced.Add(1);
                SessionStoreLog.Fenced(_logger, session.Id.ToString(), record.StoreClientId, "released after another node took it");
            }
            else
            {
                _metrics.Released.Add(1);
                SessionStoreLog.Released(_logger, session.Id.ToString(), record.StoreClientId);
            }
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            // Left owned by this node without an expiry: a resume anywhere claims it all the same.
            Failed("release", ex);
            SessionStoreLog.WriteFailed(_logger, session.Id.ToString(), record.StoreClientId, "release", ex.Message);
        }
        finally
        {
            ForgetHere(session, "the client left; the session waits in Redis");
            record.MarkReleased();
        }
    }

    private long TombstoneTimeToLive() =>
        (long)(_server.Options.Sessions.DetachedTimeToLive + TombstoneExtra).TotalMilliseconds;

    private static SessionClaim ParseTombstone(SessionId id, string cid, string tombstone)
    {
        // sid|reason|count: a tombstone of an earlier session of the same client id says nothing about this one.
        var parts = tombstone.Split('|');
        if (parts.Length != 3 || parts[0] != id.ToString() || !Enum.TryParse<SessionLostReason>(parts[1], out var reason))
        {
            return SessionClaim.Unknown with { Id = id, StoreClientId = cid };
        }

        return new SessionClaim(SessionClaimOutcome.Lost)
        {
            Id = id,
            StoreClientId = cid,
            LostReason = reason,
            LostMessages = long.TryParse(parts[2], CultureInfo.InvariantCulture, out var lost) ? lost : -1,
        };
    }

    // Writes nobody waits for (receipts, acks, releases): no fail-fast bound, only the client library's own timeout. A
    // bound here would turn a busy Redis into retries that make it busier.
    private static readonly TimeSpan BackgroundTimeout = System.Threading.Timeout.InfiniteTimeSpan;

    private Task<RedisResult> RunAsync(NamedScript script, RedisKey[] keys, RedisValue[] arguments, TimeSpan? timeout = null) =>
        script.EvaluateAsync(_node.Database, keys, arguments).WaitAsync(timeout ?? Timeout, _node.Time);

    /// <summary>Fails at once while Redis is disconnected (a handshake is refused now rather than after its timeout).</summary>
    private void EnsureConnected()
    {
        if (!_node.Redis.IsConnected)
        {
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, CommandFlags.None, "not connected to Redis");
        }
    }

    private static bool IsRedisFailure(Exception ex) =>
        ex is RedisException or TimeoutException or ObjectDisposedException or InvalidOperationException;
}
