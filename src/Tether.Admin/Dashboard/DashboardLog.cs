using Microsoft.Extensions.Logging;

namespace Tether.Admin.Dashboard;

/// <summary>Source-generated log lines of the dashboard.</summary>
internal sealed partial class DashboardLog(ILogger logger)
{
    public void Started(int historySeconds) => LogStarted(logger, historySeconds);

    public void ScanTruncated(int limit) => LogScanTruncated(logger, limit, DashboardOptions.SectionName);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Dashboard: sampling the server every second, keeping {HistorySeconds} s of history")]
    private static partial void LogStarted(ILogger logger, int historySeconds);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Dashboard: the top-pending table and the session split cover the first {Limit} connections and sessions only; raise {Section}:ScanLimit to see all")]
    private static partial void LogScanTruncated(ILogger logger, int limit, string section);
}
