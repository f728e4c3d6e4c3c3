using System.Net;
using Microsoft.Extensions.Logging;
using Tether.Hosting.Upstream;

namespace Tether.Hosting.Auth;

/// <summary>Source-generated log lines of connect authorisation; what a flood of clients repeats is throttled.</summary>
internal sealed partial class ConnectAuthLog(ILogger logger, TimeProvider time)
{
    private readonly LogThrottle _denied = new(time, TimeSpan.FromSeconds(1));
    private readonly LogThrottle _unavailable = new(time, TimeSpan.FromSeconds(5));

    public void Allowed(string? claimed, string? clientId, EndPoint? remote, bool cached) => LogAllowed(logger, claimed ?? "-", clientId ?? "-", remote, cached);

    public void Denied(string? claimed, EndPoint? remote, string reason, bool cached)
    {
        if (_denied.TryAcquire(out var held))
        {
            LogDenied(logger, claimed ?? "-", remote, reason, cached, held);
        }
    }

    public void Unavailable(string? claimed, EndPoint? remote, string reason, TimeSpan retryAfter)
    {
        if (_unavailable.TryAcquire(out var held))
        {
            LogUnavailable(logger, claimed ?? "-", remote, reason, retryAfter.TotalMilliseconds, held);
        }
    }

    [LoggerMessage(EventId = 320, Level = LogLevel.Debug, Message = "auth: allowed {Claimed} from {RemoteEndPoint} as {ClientId} (cached answer: {Cached})")]
    private static partial void LogAllowed(ILogger logger, string claimed, string clientId, EndPoint? remoteEndPoint, bool cached);

    [LoggerMessage(EventId = 321, Level = LogLevel.Information, Message = "auth: denied {Claimed} from {RemoteEndPoint}: {Reason} (cached answer: {Cached}; {Held} similar lines held back)")]
    private static partial void LogDenied(ILogger logger, string claimed, EndPoint? remoteEndPoint, string reason, bool cached, long held);

    [LoggerMessage(EventId = 322, Level = LogLevel.Warning, Message = "auth: refused {Claimed} from {RemoteEndPoint} for now, the auth endpoint is unavailable: {Reason}; told to retry after {RetryAfterMs:0} ms ({Held} similar lines held back)")]
    private static partial void LogUnavailable(ILogger logger, string claimed, EndPoint? remoteEndPoint, string reason, double retryAfterMs, long held);
}
