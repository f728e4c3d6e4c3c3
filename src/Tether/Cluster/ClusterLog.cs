using Microsoft.Extensions.Logging;
using Tether.Diagnostics;

namespace Tether.Cluster;

/// <summary>Source-generated log messages of a cluster node's routing and presence (event ids 100-139).</summary>
internal sealed partial class ClusterLog(ILogger logger, TimeProvider time)
{
    // While Redis is away every connect, close and publish would fail: one line a second tells the story.
    private readonly LogRateLimiter _failures = new(time, perSecond: 1, burst: 10);

    public ILogger Logger { get; } = logger;

    public void Started(NodeIdentity identity, string redis) => LogStarted(Logger, identity.Name, identity.Id, redis);

    public void ConnectionLost(string endPoint, string failure) => LogConnectionLost(Logger, endPoint, failure);

    public void ConnectionRestored(string endPoint) => LogConnectionRestored(Logger, endPoint);

    public void Unavailable(string operation, string reason)
    {
        if (Allow())
        {
            LogUnavailable(Logger, operation, reason);
        }
    }

    public void PublishFailed(ClusterMessageKind kind, string reason)
    {
        if (Allow())
        {
            LogPublishFailed(Logger, kind.ToString(), reason);
        }
    }

    public void DirectoryWriteFailed(string operation, string reason)
    {
        if (Allow())
        {
            LogDirectoryWriteFailed(Logger, operation, reason);
        }
    }

    public void AnnounceFailed(string reason)
    {
        if (Allow())
        {
            LogAnnounceFailed(Logger, reason);
        }
    }

    public void DirectoryRewritten(int clients, string why) => LogDirectoryRewritten(Logger, clients, why);

    public void EpochChanged(string? previous, string current) => LogEpochChanged(Logger, previous ?? "-", current);

    public void SubscriptionStalled(double silentMs) => LogSubscriptionStalled(Logger, silentMs);

    public void SubscriptionRepaired(int channels) => LogSubscriptionRepaired(Logger, channels);

    public void SubscriptionRepairFailed(Exception exception) => LogSubscriptionRepairFailed(Logger, exception);

    public void RemoteReplaced(string clientId, long connectionId, string byNode) => LogRemoteReplaced(Logger, clientId, connectionId, byNode);

    public void JanitorCleaned(string nodeId, long clients, long sessions) => LogJanitorCleaned(Logger, nodeId, clients, sessions);

    public void MalformedMessage(string channel)
    {
        if (Allow())
        {
            LogMalformedMessage(Logger, channel);
        }
    }

    public void HandlerFailed(Exception exception) => LogHandlerFailed(Logger, exception);

    public void BroadcastCatchUpFailed(string session, string reason) => LogBroadcastCatchUpFailed(Logger, session, reason);

    public void RemotePushRetried(int attempts) => LogRemotePushRetried(Logger, attempts);

    public void RemotePushGaveUp(string clientId, int attempts, double elapsedMs)
    {
        if (Allow())
        {
            LogRemotePushGaveUp(Logger, clientId, attempts, elapsedMs);
        }
    }

    private bool Allow()
    {
        if (!Logger.IsEnabled(LogLevel.Warning) || !_failures.TryAcquire(out var dropped))
        {
            return false;
        }

        if (dropped > 0)
        {
            LogSuppressed(Logger, dropped);
        }

        return true;
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Cluster node {Name} ({NodeId}) started on Redis {Redis}")]
    private static partial void LogStarted(ILogger logger, string name, string nodeId, string redis);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Lost the Redis connection to {EndPoint} ({Failure}); cross-node operations fail until it is back")]
    private static partial void LogConnectionLost(ILogger logger, string endPoint, string failure);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Redis connection to {EndPoint} restored")]
    private static partial void LogConnectionRestored(ILogger logger, string endPoint);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "scale-out: Redis unavailable for {Operation}: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string operation, string reason);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "Publishing a {Kind} message to other nodes failed: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, string kind, string reason);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "Client directory {Operation} failed: {Reason} (repaired by the next directory rewrite)")]
    private static partial void LogDirectoryWriteFailed(ILogger logger, string operation, string reason);

    [LoggerMessage(EventId = 106, Level = LogLevel.Warning, Message = "Announcing this node failed: {Reason}")]
    private static partial void LogAnnounceFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 107, Level = LogLevel.Information, Message = "Client directory rewritten: {Clients} client ids ({Why})")]
    private static partial void LogDirectoryRewritten(ILogger logger, int clients, string why);

    [LoggerMessage(EventId = 108, Level = LogLevel.Warning, Message = "The Redis dataset changed (epoch {Previous} -> {Current}): Redis lost its data; rewriting this node's presence")]
    private static partial void LogEpochChanged(ILogger logger, string previous, string current);

    [LoggerMessage(EventId = 109, Level = LogLevel.Warning, Message = "The Redis subscription stalled: no probe came back for {SilentMs:0} ms; resubscribing every channel")]
    private static partial void LogSubscriptionStalled(ILogger logger, double silentMs);

    [LoggerMessage(EventId = 110, Level = LogLevel.Information, Message = "The Redis subscription was repaired ({Channels} channels resubscribed)")]
    private static partial void LogSubscriptionRepaired(ILogger logger, int channels);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Repairing the Redis subscription failed (tried again at the next probe)")]
    private static partial void LogSubscriptionRepairFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "Client {ClientId}: connection #{ConnectionId} replaced by a connection on node {Node}")]
    private static partial void LogRemoteReplaced(ILogger logger, string clientId, long connectionId, string node);

    [LoggerMessage(EventId = 113, Level = LogLevel.Information, Message = "Removed dead node {NodeId} and its {Clients} directory entries; released {Sessions} of its sessions to expire as detached ones")]
    private static partial void LogJanitorCleaned(ILogger logger, string nodeId, long clients, long sessions);

    [LoggerMessage(EventId = 114, Level = LogLevel.Warning, Message = "Ignored a malformed message on {Channel}")]
    private static partial void LogMalformedMessage(ILogger logger, string channel);

    [LoggerMessage(EventId = 115, Level = LogLevel.Error, Message = "Handling a message from another node failed")]
    private static partial void LogHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 116, Level = LogLevel.Warning, Message = "{Dropped} cluster failure lines suppressed")]
    private static partial void LogSuppressed(ILogger logger, long dropped);

    [LoggerMessage(EventId = 117, Level = LogLevel.Debug, Message = "A push to another node's client got through after {Attempts} attempts")]
    private static partial void LogRemotePushRetried(ILogger logger, int attempts);

    [LoggerMessage(EventId = 118, Level = LogLevel.Warning, Message = "A push to {ClientId} was not accepted after {Attempts} attempts in {ElapsedMs:0} ms: its node did not answer and its session did not move")]
    private static partial void LogRemotePushGaveUp(ILogger logger, string clientId, int attempts, double elapsedMs);

    [LoggerMessage(EventId = 119, Level = LogLevel.Warning, Message = "{Session} could not catch up on the broadcasts it missed ({Reason}); its connection closes with a retry-after")]
    private static partial void LogBroadcastCatchUpFailed(ILogger logger, string session, string reason);
}
