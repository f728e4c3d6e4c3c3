using Microsoft.Extensions.Logging;

namespace Tether.Cluster;

/// <summary>Source-generated log lines of the cluster's session store (event ids 140-179).</summary>
internal static partial class SessionStoreLog
{
    [LoggerMessage(EventId = 140, Level = LogLevel.Warning, Message = "A new session was refused: Redis did not store it ({Error}); the client is told SERVER_BUSY")]
    public static partial void CreateRefused(ILogger logger, string error);

    [LoggerMessage(EventId = 141, Level = LogLevel.Warning, Message = "A resume of session {SessionId} was refused: Redis did not answer ({Error}); the client is told SERVER_BUSY")]
    public static partial void ClaimRefused(ILogger logger, string sessionId, string error);

    [LoggerMessage(EventId = 142, Level = LogLevel.Warning, Message = "Session {SessionId} ({ClientId}) is no longer this node's ({Why}): its connection is closed with REPLACED and it is dropped here")]
    public static partial void Fenced(ILogger logger, string sessionId, string clientId, string why);

    [LoggerMessage(EventId = 143, Level = LogLevel.Warning, Message = "Session {SessionId} ({ClientId}): Redis {Operation} failed ({Error})")]
    public static partial void WriteFailed(ILogger logger, string sessionId, string clientId, string operation, string error);

    [LoggerMessage(EventId = 144, Level = LogLevel.Information, Message = "Session {SessionId} ({ClientId}) was claimed by this node from {PreviousOwner} with {Held} unacknowledged messages")]
    public static partial void Claimed(ILogger logger, string sessionId, string clientId, string previousOwner, int held);

    [LoggerMessage(EventId = 145, Level = LogLevel.Debug, Message = "Session {SessionId} ({ClientId}) was released to Redis")]
    public static partial void Released(ILogger logger, string sessionId, string clientId);

    [LoggerMessage(EventId = 146, Level = LogLevel.Error, Message = "Session {SessionId}: the stored messages are not contiguous (Redis lost data); the resume is a reset")]
    public static partial void StoredLogBroken(ILogger logger, string sessionId);

    [LoggerMessage(EventId = 147, Level = LogLevel.Warning, Message = "The session notice channel could not be subscribed ({Error}); takeovers are still detected by fencing")]
    public static partial void SubscribeFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 148, Level = LogLevel.Warning, Message = "Session {SessionId} ({ClientId}) is no longer in Redis (it lost its data); its connection closes and the client's resume is a reported reset")]
    public static partial void Vanished(ILogger logger, string sessionId, string clientId);

    [LoggerMessage(EventId = 150, Level = LogLevel.Warning, Message = "Redis lost the sessions of this node ({Why}): restoring the {Count} it holds from memory")]
    public static partial void RestoreStarted(ILogger logger, string why, int count);

    [LoggerMessage(EventId = 151, Level = LogLevel.Information, Message = "Restored {Restored} sessions to Redis from memory; {Failed} failed and are retried at the next reconnect, {Ended} could not be restored")]
    public static partial void RestoreBatchDone(ILogger logger, int restored, int failed, int ended);

    [LoggerMessage(EventId = 152, Level = LogLevel.Warning, Message = "Session {SessionId} ({ClientId}) could not be restored to Redis ({Error}); it stays as it is here and is restored again at the next reconnect")]
    public static partial void RestoreFailed(ILogger logger, string sessionId, string clientId, string error);

    [LoggerMessage(EventId = 153, Level = LogLevel.Warning, Message = "Session {SessionId} ({ClientId}) was not restored: {Why}")]
    public static partial void RestoreRefused(ILogger logger, string sessionId, string clientId, string why);
}
