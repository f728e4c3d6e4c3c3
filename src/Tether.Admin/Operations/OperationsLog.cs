using Microsoft.Extensions.Logging;

namespace Tether.Admin;

/// <summary>Source-generated log messages of the health probes.</summary>
internal sealed partial class OperationsLog(ILogger logger)
{
    public void TurnedNotReady(string reasons) => LogTurnedNotReady(logger, reasons);

    public void TurnedReady() => LogTurnedReady(logger);

    public void TurnedNotLive(string reasons) => LogTurnedNotLive(logger, reasons);

    [LoggerMessage(EventId = 600, Level = LogLevel.Warning, Message = "Readiness probe: not ready ({Reasons})")]
    private static partial void LogTurnedNotReady(ILogger logger, string reasons);

    [LoggerMessage(EventId = 601, Level = LogLevel.Information, Message = "Readiness probe: ready")]
    private static partial void LogTurnedReady(ILogger logger);

    [LoggerMessage(EventId = 602, Level = LogLevel.Error, Message = "Liveness probe: not live ({Reasons})")]
    private static partial void LogTurnedNotLive(ILogger logger, string reasons);
}
