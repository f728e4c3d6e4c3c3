using Microsoft.Extensions.Logging;

namespace Tether.Hosting.Upstream;

/// <summary>Source-generated log lines of upstream delivery; the repeatable ones are throttled.</summary>
internal sealed partial class UpstreamLog(ILogger logger, TimeProvider time)
{
    private readonly LogThrottle _failures = new(time, TimeSpan.FromSeconds(5));
    private readonly LogThrottle _pauses = new(time, TimeSpan.FromSeconds(5));

    public void Started(string url, long perClient, long total) => LogStarted(logger, url, perClient, total);

    public void AttemptFailed(int events, int attempt, string reason, TimeSpan delay)
    {
        if (_failures.TryAcquire(out var held))
        {
            LogAttemptFailed(logger, events, attempt, reason, delay.TotalMilliseconds, held);
        }
    }

    public void Recovered(int events, int attempts) => LogRecovered(logger, events, attempts);

    public void Rejected(int events, int status, string body) => LogRejected(logger, events, status, body);

    public void ClientPaused(long connectionId, string? clientId, long clientBytes, long totalBytes)
    {
        if (_pauses.TryAcquire(out var held))
        {
            LogClientPaused(logger, connectionId, clientId ?? "-", clientBytes, totalBytes, held);
        }
    }

    public void Flushed(int events) => LogFlushed(logger, events);

    public void FlushIncomplete(int events, TimeSpan timeout) => LogFlushIncomplete(logger, events, timeout.TotalSeconds);

    public void LateEvent(string type) => LogLateEvent(logger, type);

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "upstream: delivering client events to {Url} (budget {PerClient} bytes per client, {Total} bytes in all)")]
    private static partial void LogStarted(ILogger logger, string url, long perClient, long total);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "upstream: a batch of {Events} events failed (attempt {Attempt}: {Reason}); retrying in {DelayMs:0} ms ({Held} similar lines held back)")]
    private static partial void LogAttemptFailed(ILogger logger, int events, int attempt, string reason, double delayMs, long held);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "upstream: delivered a batch of {Events} events after {Attempts} attempts; the endpoint is back")]
    private static partial void LogRecovered(ILogger logger, int events, int attempts);

    [LoggerMessage(EventId = 303, Level = LogLevel.Error, Message = "upstream: the endpoint rejected a batch of {Events} events with {Status}; they are dropped (a 4xx is not retried): {Body}")]
    private static partial void LogRejected(ILogger logger, int events, int status, string body);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "upstream: not reading from connection #{ConnectionId} ({ClientId}) until its events are delivered: {ClientBytes} bytes of it and {TotalBytes} in all undelivered ({Held} similar lines held back)")]
    private static partial void LogClientPaused(ILogger logger, long connectionId, string clientId, long clientBytes, long totalBytes, long held);

    [LoggerMessage(EventId = 305, Level = LogLevel.Information, Message = "upstream: stopped; {Events} queued events were delivered at shutdown")]
    private static partial void LogFlushed(ILogger logger, int events);

    [LoggerMessage(EventId = 306, Level = LogLevel.Warning, Message = "upstream: stopped with {Events} events undelivered: the endpoint did not take them within the shutdown timeout of {Seconds} s")]
    private static partial void LogFlushIncomplete(ILogger logger, int events, double seconds);

    [LoggerMessage(EventId = 307, Level = LogLevel.Warning, Message = "upstream: a {Type} event came after the upstream stopped; it is dropped")]
    private static partial void LogLateEvent(ILogger logger, string type);
}
