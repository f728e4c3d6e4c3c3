using System.Net;
using Microsoft.Extensions.Logging;
using Tether.Diagnostics;
using Tether.Protocol;

namespace Tether.Server;

/// <summary>Source-generated log messages of the server (no formatting cost when a level is off).</summary>
internal sealed partial class ServerLog(ILogger logger, TimeProvider time)
{
    // Lines a flood of peers can cause, each kind with its own budget: lifecycle lines a generous one (they are the
    // record of who came and went), refusals and violations a small one (one line tells the story, a thousand do not).
    private readonly LogRateLimiter _lifecycle = new(time, perSecond: 200, burst: 1000);
    private readonly LogRateLimiter _violations = new(time, perSecond: 10, burst: 50);
    private readonly LogRateLimiter _refusals = new(time, perSecond: 10, burst: 50);
    private readonly LogRateLimiter _timeouts = new(time, perSecond: 10, burst: 50);
    private readonly LogRateLimiter _tls = new(time, perSecond: 10, burst: 50);

    public ILogger Logger { get; } = logger;

    public void Listening(EndPoint endPoint, string framing) => LogListening(Logger, endPoint, framing);

    public void Connected(TetherConnection connection)
    {
        if (!Allow(_lifecycle, LogLevel.Information, "connection"))
        {
            return;
        }

        if (connection.IsPlain)
        {

            var probe = connection.Heartbeat.Interval > TimeSpan.Zero ? $"a probe after {connection.Heartbeat.Interval.TotalMilliseconds} ms of silence" : "no probe";
            LogPlainConnected(Logger, connection.Id, connection.Listener.FramingName, connection.RemoteEndPoint, connection.Heartbeat.Timeout.TotalMilliseconds, probe);
            return;
        }

        LogConnected(Logger, connection.Id, connection.ClientId ?? "-", connection.RemoteEndPoint, connection.Heartbeat.Interval.TotalMilliseconds, connection.Heartbeat.Timeout.TotalMilliseconds);
    }

    public void Disconnected(TetherConnection connection, DisconnectInfo info)
    {
        if (Allow(_lifecycle, LogLevel.Information, "connection"))
        {
            LogDisconnected(Logger, connection.Id, connection.ClientId ?? "-", info.ReasonName, info.Description);
        }
    }

    public void HeartbeatTimeout(TetherConnection connection, double silentMs) => LogHeartbeatTimeout(Logger, connection.Id, connection.ClientId ?? "-", silentMs);

    public void ProtocolViolation(TetherConnection connection, CloseCode code, string message)
    {
        if (Allow(_violations, LogLevel.Warning, "protocol violation"))
        {
            LogProtocolViolation(Logger, connection.Id, connection.RemoteEndPoint, code.ToWireName(), message);
        }
    }

    public void AuthenticationFailed(TetherConnection connection, CloseCode code, string reason)
    {
        if (Allow(_refusals, LogLevel.Information, "refusal"))
        {
            LogAuthenticationFailed(Logger, connection.Id, connection.RemoteEndPoint, code.ToWireName(), reason);
        }
    }

    public void HandshakeTimeout(TetherConnection connection, double timeoutMs)
    {
        if (Allow(_timeouts, LogLevel.Information, "handshake timeout"))
        {
            LogHandshakeTimeout(Logger, connection.Id, connection.RemoteEndPoint, timeoutMs);
        }
    }

    public void TlsHandshakeFailed(string reason)
    {
        if (Allow(_tls, LogLevel.Information, "TLS handshake failure"))
        {
            LogTlsHandshakeFailed(Logger, reason);
        }
    }

    public void RateLimited(TetherConnection connection, string limit, double rate)
    {
        if (Allow(_refusals, LogLevel.Warning, "refusal"))
        {
            LogRateLimited(Logger, connection.Id, connection.ClientId ?? "-", connection.RemoteEndPoint, limit, rate);
        }
    }

    public void ConnectionRateLimit(double limit, EndPoint? remote)
    {
        if (Allow(_refusals, LogLevel.Warning, "refusal"))
        {
            LogConnectionRateLimit(Logger, limit, remote);
        }
    }

    public void HandlerFailed(TetherConnection connection, Exception exception) => LogHandlerFailed(Logger, exception, connection.Id);

    public void Replaced(TetherConnection old, TetherConnection replacement) => LogReplaced(Logger, old.ClientId ?? "-", old.Id, replacement.Id);

    public void ConnectionLimit(int limit, EndPoint? remote)
    {
        if (Allow(_refusals, LogLevel.Warning, "refusal"))
        {
            LogConnectionLimit(Logger, limit, remote);
        }
    }

    public void AddressConnectionLimit(int limit, EndPoint? remote)
    {
        if (Allow(_refusals, LogLevel.Warning, "refusal"))
        {
            LogAddressConnectionLimit(Logger, limit, remote);
        }
    }

    public void SlowConsumer(TetherConnection connection, int pending)
    {
        if (Allow(_violations, LogLevel.Warning, "slow consumer"))
        {
            LogSlowConsumer(Logger, connection.Id, connection.ClientId ?? "-", pending);
        }
    }

    public void BroadcastTooLarge(int messageLength, int connections) => LogBroadcastTooLarge(Logger, messageLength, connections);

    public void AcceptFailed(EndPoint endPoint, Exception exception) => LogAcceptFailed(Logger, exception, endPoint);

    public void SessionResumed(TetherConnection connection, TetherSession session, int resent) =>
        LogSessionResumed(Logger, connection.Id, session.Id.ToString(), connection.ClientId ?? "-", resent);

    public void SessionDetached(TetherConnection connection, TetherSession session) =>
        LogSessionDetached(Logger, session.Id.ToString(), connection.Id, session.UnacknowledgedMessages);

    public void ResumeRefused(TetherConnection connection, Protocol.SessionId id, string reason) =>
        LogResumeRefused(Logger, connection.Id, id.ToString(), reason);

    public void SessionTakenOver(TetherSession session, TetherConnection old, TetherConnection replacement) =>
        LogSessionTakenOver(Logger, session.Id.ToString(), old.Id, replacement.Id);

    public void SessionExpired(Sessions.SessionLostInfo info)
    {
        if (Logger.IsEnabled(LogLevel.Debug))
        {
            LogSessionExpired(Logger, info.SessionId.ToString(), info.ClientId ?? "-");
        }
    }

    public void SessionLost(Sessions.SessionLostInfo info) =>
        LogSessionLost(Logger, info.SessionId.ToString(), info.ClientId ?? "-", info.Reason.ToString(), info.UnacknowledgedSent, info.Description);

    public void SessionHandlerFailed(Exception exception) => LogSessionHandlerFailed(Logger, exception);

    public void Stopping(int connections, int plainConnections, double drainMs) => LogStopping(Logger, connections, plainConnections, drainMs);

    public void Stopped(int forced) => LogStopped(Logger, forced);

    /// <summary>
    /// True when <paramref name="level"/> is on and <paramref name="limiter"/> has a line to spare; first writes how many
    /// lines of that budget were dropped since the last one let through.
    /// </summary>
    private bool Allow(LogRateLimiter limiter, LogLevel level, string what)
    {
        if (!Logger.IsEnabled(level))
        {
            return false;
        }

        if (!limiter.TryAcquire(out var dropped))
        {
            return false;
        }

        if (dropped > 0)
        {
            LogSuppressed(Logger, dropped, what);
        }

        return true;
    }

    /// <summary>Once per engine failure (the engine raises it once).</summary>
    public void EngineFailed(string reason, string transportNow) => LogEngineFailed(Logger, reason, transportNow);

    [LoggerMessage(EventId = 47, Level = LogLevel.Error, Message = "{Reason}: its connections are closed and new connections use the {Transport} transport")]
    private static partial void LogEngineFailed(ILogger logger, string reason, string transport);

    /// <summary>One return of memory after a peak (rare: once per fall of the load to a quarter).</summary>
    public void MemoryReturned(MemoryReturned returned) =>
        LogMemoryReturned(Logger, returned.Peak, returned.Load, returned.CommittedBefore / 1048576.0, returned.CommittedAfter / 1048576.0, returned.HeapAfter / 1048576.0, returned.Pause.TotalMilliseconds);

    [LoggerMessage(EventId = 46, Level = LogLevel.Information, Message = "Load fell from {Peak} to {Load} connections and sessions; returned memory: committed {BeforeMiB:F1} -> {AfterMiB:F1} MiB, heap {HeapMiB:F1} MiB, pause {PauseMs:F0} ms")]
    private static partial void LogMemoryReturned(ILogger logger, int peak, int load, double beforeMiB, double afterMiB, double heapMiB, double pauseMs);

    [LoggerMessage(EventId = 45, Level = LogLevel.Warning, Message = "{Dropped} log lines ({What}) were dropped to keep the log rate bounded")]
    private static partial void LogSuppressed(ILogger logger, long dropped, string what);

    [LoggerMessage(EventId = 42, Level = LogLevel.Information, Message = "A TLS handshake failed: {Reason}")]
    private static partial void LogTlsHandshakeFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 43, Level = LogLevel.Warning, Message = "Connection #{ConnectionId} client {ClientId} from {RemoteEndPoint} went over its inbound {Limit} limit of {Rate} per second; closing it")]
    private static partial void LogRateLimited(ILogger logger, long connectionId, string clientId, EndPoint? remoteEndPoint, string limit, double rate);

    [LoggerMessage(EventId = 44, Level = LogLevel.Warning, Message = "Connection attempts over {Limit} per second from one address; refused {RemoteEndPoint}")]
    private static partial void LogConnectionRateLimit(ILogger logger, double limit, EndPoint? remoteEndPoint);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Listening on {EndPoint} ({Framing})")]
    private static partial void LogListening(ILogger logger, EndPoint endPoint, string framing);

    [LoggerMessage(EventId = 15, Level = LogLevel.Information, Message = "Connection #{ConnectionId} ({Framing}) from {RemoteEndPoint} connected (idle timeout {IdleTimeoutMs} ms, {Probe})")]
    private static partial void LogPlainConnected(ILogger logger, long connectionId, string framing, EndPoint? remoteEndPoint, double idleTimeoutMs, string probe);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Connection #{ConnectionId} client {ClientId} from {RemoteEndPoint} connected (heartbeat {IntervalMs} ms, timeout {TimeoutMs} ms)")]
    private static partial void LogConnected(ILogger logger, long connectionId, string clientId, EndPoint? remoteEndPoint, double intervalMs, double timeoutMs);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Connection #{ConnectionId} client {ClientId} disconnected: {Reason} ({Description})")]
    private static partial void LogDisconnected(ILogger logger, long connectionId, string clientId, string reason, string description);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "Connection #{ConnectionId} client {ClientId} timed out after {SilentMs:0} ms of silence")]
    private static partial void LogHeartbeatTimeout(ILogger logger, long connectionId, string clientId, double silentMs);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Connection #{ConnectionId} from {RemoteEndPoint} broke the protocol ({Code}): {Detail}")]
    private static partial void LogProtocolViolation(ILogger logger, long connectionId, EndPoint? remoteEndPoint, string code, string detail);

    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "Connection #{ConnectionId} from {RemoteEndPoint} refused: {Code} ({Reason})")]
    private static partial void LogAuthenticationFailed(ILogger logger, long connectionId, EndPoint? remoteEndPoint, string code, string reason);

    [LoggerMessage(EventId = 13, Level = LogLevel.Information, Message = "Connection #{ConnectionId} from {RemoteEndPoint} did not complete its handshake within {TimeoutMs} ms; closing it")]
    private static partial void LogHandshakeTimeout(ILogger logger, long connectionId, EndPoint? remoteEndPoint, double timeoutMs);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "The application handler failed on connection #{ConnectionId}")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception, long connectionId);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Client {ClientId}: connection #{NewId} replaces #{OldId}")]
    private static partial void LogReplaced(ILogger logger, string clientId, long oldId, long newId);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Connection limit of {Limit} reached; refused {RemoteEndPoint}")]
    private static partial void LogConnectionLimit(ILogger logger, int limit, EndPoint? remoteEndPoint);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "Connection limit of {Limit} per address reached; refused {RemoteEndPoint}")]
    private static partial void LogAddressConnectionLimit(ILogger logger, int limit, EndPoint? remoteEndPoint);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "Connection #{ConnectionId} client {ClientId} is a slow consumer ({Pending} bytes queued); closing it")]
    private static partial void LogSlowConsumer(ILogger logger, long connectionId, string clientId, int pending);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "A broadcast of {MessageLength} bytes was not sent to {Connections} connections whose announced maximum frame size is smaller")]
    private static partial void LogBroadcastTooLarge(ILogger logger, int messageLength, int connections);

    [LoggerMessage(EventId = 10, Level = LogLevel.Error, Message = "Accepting on {EndPoint} failed")]
    private static partial void LogAcceptFailed(ILogger logger, Exception exception, EndPoint endPoint);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Stopping: GOAWAY sent to {Connections} connections and {PlainConnections} plain connections closed, draining for up to {DrainMs} ms")]
    private static partial void LogStopping(ILogger logger, int connections, int plainConnections, double drainMs);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Stopped ({Forced} connections closed at the end of the drain)")]
    private static partial void LogStopped(ILogger logger, int forced);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Connection #{ConnectionId} resumed session {SessionId} (client {ClientId}), {Resent} messages resent")]
    private static partial void LogSessionResumed(ILogger logger, long connectionId, string sessionId, string clientId, int resent);

    [LoggerMessage(EventId = 21, Level = LogLevel.Debug, Message = "Session {SessionId} detached from connection #{ConnectionId} with {Unacknowledged} unacknowledged messages; waiting for a resume")]
    private static partial void LogSessionDetached(ILogger logger, string sessionId, long connectionId, int unacknowledged);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "Connection #{ConnectionId} asked to resume session {SessionId}, which is lost ({Reason}); a new session starts")]
    private static partial void LogResumeRefused(ILogger logger, long connectionId, string sessionId, string reason);

    [LoggerMessage(EventId = 23, Level = LogLevel.Information, Message = "Session {SessionId} taken over: connection #{OldId} replaced by #{NewId}")]
    private static partial void LogSessionTakenOver(ILogger logger, string sessionId, long oldId, long newId);

    [LoggerMessage(EventId = 26, Level = LogLevel.Debug, Message = "Session {SessionId} (client {ClientId}) expired with nothing undelivered")]
    private static partial void LogSessionExpired(ILogger logger, string sessionId, string clientId);

    [LoggerMessage(EventId = 24, Level = LogLevel.Warning, Message = "Session {SessionId} (client {ClientId}) lost: {Reason}, {Unacknowledged} messages to the client unacknowledged ({Description})")]
    private static partial void LogSessionLost(ILogger logger, string sessionId, string clientId, string reason, long unacknowledged, string description);

    [LoggerMessage(EventId = 25, Level = LogLevel.Error, Message = "The session-lost handler failed")]
    private static partial void LogSessionHandlerFailed(ILogger logger, Exception exception);
}
