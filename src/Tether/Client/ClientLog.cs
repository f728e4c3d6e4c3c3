using Microsoft.Extensions.Logging;

namespace Tether.Client;

/// <summary>Source-generated log messages of the client.</summary>
internal sealed partial class ClientLog(ILogger logger)
{
    public void Connected(string endPoint, double intervalMs, double timeoutMs) => LogConnected(logger, endPoint, intervalMs, timeoutMs);

    public void Disconnected(string reason, string description) => LogDisconnected(logger, reason, description);

    public void AttemptFailed(string endPoint, string message) => LogAttemptFailed(logger, endPoint, message);

    public void Refused(string endPoint, string message) => LogRefused(logger, endPoint, message);

    public void Reconnecting(int attempt, double delayMs) => LogReconnecting(logger, attempt, delayMs);

    public void Closed(string message) => LogClosed(logger, message);

    public void Crashed(Exception exception) => LogCrashed(logger, exception);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "Connected to {EndPoint} (heartbeat {IntervalMs} ms, timeout {TimeoutMs} ms)")]
    private static partial void LogConnected(ILogger logger, string endPoint, double intervalMs, double timeoutMs);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Disconnected: {Reason} ({Description})")]
    private static partial void LogDisconnected(ILogger logger, string reason, string description);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Attempt to {EndPoint} failed: {Message}")]
    private static partial void LogAttemptFailed(ILogger logger, string endPoint, string message);

    [LoggerMessage(EventId = 204, Level = LogLevel.Error, Message = "{EndPoint} refused the connection for good: {Message}")]
    private static partial void LogRefused(ILogger logger, string endPoint, string message);

    [LoggerMessage(EventId = 205, Level = LogLevel.Information, Message = "Reconnect attempt {Attempt} in {DelayMs:0} ms")]
    private static partial void LogReconnecting(ILogger logger, int attempt, double delayMs);

    [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "Client closed: {Message}")]
    private static partial void LogClosed(ILogger logger, string message);

    [LoggerMessage(EventId = 207, Level = LogLevel.Critical, Message = "The client's run loop failed")]
    private static partial void LogCrashed(ILogger logger, Exception exception);

    public void HandlerFailed(string callback, Exception exception) => LogHandlerFailed(logger, exception, callback);

    [LoggerMessage(EventId = 208, Level = LogLevel.Error, Message = "The application's {Callback} handler threw; the client goes on")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, string callback);

    public void SessionResumed(string sessionId, int resent) => LogSessionResumed(logger, sessionId, resent);

    public void SessionLost(string sessionId, string reason, long unacknowledged, long serverLost) => LogSessionLost(logger, sessionId, reason, unacknowledged, serverLost);

    [LoggerMessage(EventId = 220, Level = LogLevel.Information, Message = "Session {SessionId} resumed; {Resent} messages resent")]
    private static partial void LogSessionResumed(ILogger logger, string sessionId, int resent);

    [LoggerMessage(EventId = 221, Level = LogLevel.Warning, Message = "Session {SessionId} lost ({Reason}): {Unacknowledged} sent messages unacknowledged, server reports {ServerLost} lost (-1 = unknown)")]
    private static partial void LogSessionLost(ILogger logger, string sessionId, string reason, long unacknowledged, long serverLost);
}
