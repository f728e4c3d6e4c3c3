using StackExchange.Redis;
using Tether.Protocol;
using Tether.Server;
using Tether.Sessions;

namespace Tether.Cluster;

// Ownership: notices of sessions another node took, dropping them, and what a failed write does to a session here.
internal sealed partial class RedisSessionStore
{
    private async Task<bool> TrySubscribeAsync()
    {
        try
        {
            await _node.Redis.GetSubscriber().SubscribeAsync(Keys.SessionNotices(NodeId), (_, message) => OnTaken(message.ToString())).ConfigureAwait(false);
            return true;
        }
        catch (RedisException ex)
        {
            SessionStoreLog.SubscribeFailed(_logger, ex.Message);
            return false;
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) => _ = ResubscribeAsync();

    private void OnSyncPossibleAgain(object? sender, ConnectionFailedEventArgs e) => RetryUnsynced();

    private void RetryUnsynced()
    {
        foreach (var record in _unsynced.Keys)
        {
            if (_unsynced.TryRemove(record, out _))
            {
                record.RetrySync();
            }
        }
    }

    private async Task ResubscribeAsync()
    {
        if (await TrySubscribeAsync().ConfigureAwait(false))
        {
            _node.Redis.ConnectionRestored -= OnConnectionRestored;
        }
    }

    /// <summary>Another node took <paramref name="sessionId"/>: close its connection here and drop it without writing.</summary>
    private void OnTaken(string sessionId)
    {
        SessionId id;
        try
        {
            id = SessionId.Parse(sessionId);
        }
        catch (FormatException)
        {
            return;
        }

        if (_server.Sessions.TryGet(id, out var session) && session.Core.Persistence is SessionRecord record)
        {
            Drop(record, "another node resumed it");
        }
    }

    /// <summary>The session is not this node's any more: close its connection with REPLACED and drop it, writing nothing.</summary>
    private void Drop(SessionRecord record, string why)
    {
        if (!record.TryLeave(RecordState.Dropped))
        {
            return;
        }

        var session = record.Session;
        _metrics.Fenced.Add(1);
        SessionStoreLog.Fenced(_logger, session.Id.ToString(), record.StoreClientId, why);
        var connection = session.Connection;
        ForgetHere(session, why);
        connection?.BeginClose(new DisconnectInfo(DisconnectReason.Replaced, CloseCode.Replaced, why), CloseCode.Replaced, "session taken over by another node", 0, immediate: true);
        record.MarkReleased();
    }

    /// <summary>
    /// Redis lost the session's record (it restarted without its data): the session is over here, and its connection
    /// closes with a retry-after so that the client resumes at once and is told of the reset (not REPLACED, which would
    /// stop it).
    /// </summary>
    private void Vanished(SessionRecord record)
    {
        if (!record.TryLeave(RecordState.Dropped))
        {
            return;
        }

        const string Reason = "the session store (Redis) lost the session";
        var session = record.Session;
        _metrics.Vanished.Add(1);
        SessionStoreLog.Vanished(_logger, session.Id.ToString(), record.StoreClientId);
        var connection = session.Connection;
        ForgetHere(session, Reason);
        connection?.BeginClose(new DisconnectInfo(DisconnectReason.ClosedLocally, CloseCode.ServerBusy, Reason), CloseCode.ServerBusy, Reason, _server.NextRetryAfterMs(), immediate: true);
        record.MarkReleased();
    }

    /// <summary>Writes to an owned session failed: close its connection (the client resumes, here or elsewhere).</summary>
    private void WriteFailed(SessionRecord record, string operation, Exception ex)
    {
        Failed(operation, ex);
        SessionStoreLog.WriteFailed(_logger, record.Session.Id.ToString(), record.StoreClientId, operation, ex.Message);
        if (record.Session.Connection is { } connection)
        {
            const string Reason = "the session store (Redis) is unavailable";
            connection.BeginClose(new DisconnectInfo(DisconnectReason.ClosedLocally, CloseCode.ServerBusy, Reason), CloseCode.ServerBusy, Reason, _server.NextRetryAfterMs(), immediate: true);
        }
    }

    private void ForgetHere(TetherSession session, string why)
    {
        session.Core.MarkLost(SessionLostReason.Superseded, session.ClientId, null, why, keepPayloads: false, out _);
        _server.Sessions.Forget(session);
        session.Retire();
    }

    private void Failed(string operation, Exception ex)
    {
        _ = ex;
        _metrics.Failures.Add(1, new KeyValuePair<string, object?>("operation", operation));
    }
}
