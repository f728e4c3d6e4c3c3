using System.Collections.Concurrent;
using System.Globalization;
using StackExchange.Redis;

namespace Tether.Cluster;

// Restore: Redis lost the records of sessions this node holds (it restarted without its data). The node has in memory
// all that Redis had for them (fence, out/acked/in, every unacknowledged message), so it writes them back instead of
// ending them: when the dataset epoch changes (every session held) and when a write answers GONE (that session; it can
// come before the epoch check). Restores run in the background, a batch of sessions at a time; the writes that met
// GONE wait for their session's restore and then count as done (the restore wrote their messages) or are retried.
internal sealed partial class RedisSessionStore
{
    // Sessions restored at once (each is one script, or a few for a long backlog), so that a node holding many sessions
    // does not flood Redis as it comes back.
    private const int RestoreBatch = 64;

    // Messages per restore script, and bytes: a long backlog goes in several scripts, issued back to back.
    private const int RestoreChunkMessages = 256;
    private const int RestoreChunkBytes = 512 * 1024;

    // Sessions whose restore is queued or running, with what their waiting writes get; removed as it completes.
    private readonly ConcurrentDictionary<SessionRecord, TaskCompletionSource<RestoreOutcome>> _restores = new();
    private readonly ConcurrentQueue<SessionRecord> _restoreQueue = new();

    // Sessions whose restore failed (Redis away again): restored again once Redis is back.
    private readonly ConcurrentDictionary<SessionRecord, byte> _restoreFailed = new();
    private int _restoring;

    /// <summary>What a restore of one session did.</summary>
    private enum RestoreResult
    {
        Restored,
        Failed,
        Ended,
    }

    /// <summary>Hooks the restore to the dataset epoch check and to Redis reconnects.</summary>
    private void StartRestoring()
    {
        if (_server.Routing is { } routing)
        {
            routing.Presence.SessionsLost = () => RestoreAll("the Redis dataset changed");
        }

        _node.Redis.ConnectionRestored += OnRestorePossibleAgain;
    }

    private void OnRestorePossibleAgain(object? sender, ConnectionFailedEventArgs e)
    {
        foreach (var record in _restoreFailed.Keys)
        {
            if (_restoreFailed.TryRemove(record, out _))
            {
                _ = RequestRestore(record);
            }
        }
    }

    /// <summary>Queues a restore of every session this node holds (attached here).</summary>
    private void RestoreAll(string why)
    {
        if (_killed)
        {
            return;
        }

        var count = 0;
        foreach (var session in _server.Sessions)
        {
            if (session.Core.Persistence is SessionRecord { IsActive: true } record)
            {
                _ = RequestRestore(record);
                count++;
            }
        }

        SessionStoreLog.RestoreStarted(_logger, why, count);
    }

    /// <summary>
    /// A write of <paramref name="record"/> answered GONE: waits for the session's restore (queuing one, and one of
    /// every other session held: they are all gone). True once Redis has the session again with every message up to
    /// <paramref name="sequence"/> (0 for a write that is not an append): the caller's write is done, or may be retried.
    /// </summary>
    private async Task<bool> RestoreForWriteAsync(SessionRecord record, ulong sequence)
    {
        var idle = Volatile.Read(ref _restoring) == 0;
        var first = RequestRestore(record);
        if (idle)
        {
            RestoreAll("a write found its session gone");
        }

        var outcome = await first.ConfigureAwait(false);

        // A restore covers the messages numbered before it began; a later one covers this one if it did not.
        for (var attempt = 0; outcome.Result == RestoreResult.Restored && outcome.Through < sequence && attempt < 2; attempt++)
        {
            outcome = await RequestRestore(record).ConfigureAwait(false);
        }

        return outcome.Result == RestoreResult.Restored && outcome.Through >= sequence;
    }

    private Task<RestoreOutcome> RequestRestore(SessionRecord record)
    {
        while (true)
        {
            if (_restores.TryGetValue(record, out var queued))
            {
                return queued.Task;
            }

            var waiter = new TaskCompletionSource<RestoreOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_restores.TryAdd(record, waiter))
            {
                _restoreQueue.Enqueue(record);
                if (Interlocked.CompareExchange(ref _restoring, 1, 0) == 0)
                {
                    _ = Task.Run(RunRestoresAsync);
                }

                return waiter.Task;
            }
        }
    }

    /// <summary>Restores the queued sessions a batch at a time, until the queue is empty.</summary>
    private async Task RunRestoresAsync()
    {
        var batch = new List<SessionRecord>(RestoreBatch);
        while (true)
        {
            batch.Clear();
            while (batch.Count < RestoreBatch && _restoreQueue.TryDequeue(out var record))
            {
                batch.Add(record);
            }

            if (batch.Count == 0)
            {
                Volatile.Write(ref _restoring, 0);

                // A request queued after the last dequeue and before the flag was cleared found the worker running.
                if (_restoreQueue.IsEmpty || Interlocked.CompareExchange(ref _restoring, 1, 0) != 0)
                {
                    return;
                }

                continue;
            }

            var results = await Task.WhenAll(batch.Select(RestoreAsync)).ConfigureAwait(false);
            SessionStoreLog.RestoreBatchDone(
                _logger,
                results.Count(r => r == RestoreResult.Restored),
                results.Count(r => r == RestoreResult.Failed),
                results.Count(r => r == RestoreResult.Ended));
        }
    }

    private async Task<RestoreResult> RestoreAsync(SessionRecord record)
    {
        RestoreOutcome outcome;
        try
        {
            outcome = await RestoreCoreAsync(record).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever went wrong, the writes waiting for this restore must hear of it and the worker go on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _metrics.RestoreFailures.Add(1);
            SessionStoreLog.RestoreFailed(_logger, record.Session.Id.ToString(), record.StoreClientId, ex.Message);
            _restoreFailed.TryAdd(record, 0);
            outcome = new RestoreOutcome(RestoreResult.Failed, 0);
        }

        if (_restores.TryRemove(record, out var waiter))
        {
            waiter.TrySetResult(outcome);
        }

        return outcome.Result;
    }

    private async Task<RestoreOutcome> RestoreCoreAsync(SessionRecord record)
    {
        var session = record.Session;
        if (_killed || session.IsLost)
        {
            // Not this node's any more (dropped, lost, or the process "died"): nothing to restore.
            return new RestoreOutcome(RestoreResult.Ended, 0);
        }

        ulong through;
        ulong received;
        Task<RedisResult>[] calls;
        try
        {
            lock (record.Gate)
            {
                // Under the gate nothing is numbered meanwhile: the held messages are exactly acked + 1 .. through, and
                // every append issued after this reaches Redis after the restore.
                through = session.Core.LastSent;
                var held = session.Core.CopyUnacknowledged();
                received = session.Core.LastReceived;
                calls = IssueRestore(record, through - (ulong)held.Count, received, held);
            }

            var answers = await Task.WhenAll(calls).WaitAsync(Timeout * 2, _node.Time).ConfigureAwait(false);
            foreach (var answer in answers)
            {
                switch (answer.ToString())
                {
                    case SessionScripts.Fenced:
                        SessionStoreLog.RestoreRefused(_logger, session.Id.ToString(), record.StoreClientId, "another node holds it");
                        Drop(record, "a restore found it held by another node");
                        return new RestoreOutcome(RestoreResult.Ended, 0);
                    case "LOST":
                        SessionStoreLog.RestoreRefused(_logger, session.Id.ToString(), record.StoreClientId, "it was ended on purpose (a tombstone)");
                        Vanished(record);
                        return new RestoreOutcome(RestoreResult.Ended, 0);
                }
            }
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            Failed("restore", ex);
            _metrics.RestoreFailures.Add(1);
            SessionStoreLog.RestoreFailed(_logger, session.Id.ToString(), record.StoreClientId, ex.Message);
            _restoreFailed.TryAdd(record, 0);
            return new RestoreOutcome(RestoreResult.Failed, 0);
        }

        _metrics.Restored.Add(1);

        // The held frames may go out now (write-ahead), and the acks withheld until "in" was stored.
        record.OnStored(through);
        record.MarkReceivedStored(received);
        if (session.Core.OnInboundPersisted() && session.Connection is { IsPlain: false } connection)
        {
            connection.Link.FlushAck(force: true, 0);
        }

        return new RestoreOutcome(RestoreResult.Restored, through);
    }

    /// <summary>Issues the restore scripts of one session, back to back (the caller holds its gate).</summary>
    private Task<RedisResult>[] IssueRestore(SessionRecord record, ulong acknowledged, ulong received, IReadOnlyList<ReadOnlyMemory<byte>> held)
    {
        var keys = new RedisKey[] { record.SessionKey, record.LogKey, record.TombstoneKey, record.SidKey };
        var header = new RedisValue[]
        {
            record.Session.Id.ToString(),
            record.Fence,
            NodeId,
            record.StoreClientId,
            (long)acknowledged,
            (long)received,
            _node.Time.GetUtcNow().ToUnixTimeMilliseconds(),
        };
        var calls = new List<Task<RedisResult>>(1 + (held.Count / RestoreChunkMessages));
        var index = 0;
        do
        {
            var first = acknowledged + 1 + (ulong)index;
            var chunk = new List<RedisValue>(header.Length + 1 + Math.Min(held.Count - index, RestoreChunkMessages));
            chunk.AddRange(header);
            chunk.Add(first.ToString(CultureInfo.InvariantCulture));
            var bytes = 0;
            while (index < held.Count && chunk.Count - header.Length - 1 < RestoreChunkMessages && bytes < RestoreChunkBytes)
            {
                chunk.Add(held[index]);
                bytes += held[index].Length;
                index++;
            }

            calls.Add(_node.Database.ScriptEvaluateAsync(SessionScripts.Restore, keys, [.. chunk]));
        }
        while (index < held.Count);

        return [.. calls];
    }

    /// <summary>A restore's result and, when restored, the last message number Redis has again.</summary>
    private readonly record struct RestoreOutcome(RestoreResult Result, ulong Through);
}
