using Microsoft.Extensions.Logging;

namespace Tether.Server;

/// <summary>Source-generated log messages of a graceful stop's lame-duck delay and GOAWAY spread.</summary>
internal sealed partial class DrainLog(ILogger logger)
{
    public void LameDuck(double delayMs) => LogLameDuck(logger, delayMs);

    public void Draining(int peers, int plainClosed, double spreadMs, double drainMs) => LogDraining(logger, peers, plainClosed, spreadMs, drainMs);

    public void DrainingCallbackFailed(Exception exception) => LogDrainingCallbackFailed(logger, exception);

    [LoggerMessage(EventId = 16, Level = LogLevel.Information, Message = "Draining: not ready any more; still serving for the lame-duck delay of {DelayMs} ms before the first GOAWAY")]
    private static partial void LogLameDuck(ILogger logger, double delayMs);

    [LoggerMessage(EventId = 17, Level = LogLevel.Information, Message = "Draining: GOAWAY to {Peers} clients over {SpreadMs} ms ({PlainClosed} plain connections closed), the rest closed after {DrainMs} ms")]
    private static partial void LogDraining(ILogger logger, int peers, int plainClosed, double spreadMs, double drainMs);

    [LoggerMessage(EventId = 18, Level = LogLevel.Error, Message = "A callback on TetherServer.Draining threw; the stop goes on")]
    private static partial void LogDrainingCallbackFailed(ILogger logger, Exception exception);
}
