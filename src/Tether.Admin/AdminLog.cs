using System.Net;
using Microsoft.Extensions.Logging;

namespace Tether.Admin;

/// <summary>Source-generated log lines of the admin listener.</summary>
internal sealed partial class AdminLog(ILogger<AdminLog> logger)
{
    public void Listening(IPEndPoint endpoint, bool generatedKey)
    {
        LogListening(logger, endpoint, generatedKey ? "a key made up at start" : "the key from its key file");
    }

    public void GeneratedKey(string key) => LogGeneratedKey(logger, key);

    public void Unauthorized(string method, string path, IPAddress? remote) => LogUnauthorized(logger, method, path, remote);

    public void Stopped() => LogStopped(logger);

    public void RequestFailed(string method, string path, int status, string error) => LogRequestFailed(logger, method, path, status, error);

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "admin API listening on http://{Endpoint} (requests need {KeyOrigin})")]
    private static partial void LogListening(ILogger logger, IPEndPoint endpoint, string keyOrigin);

    // Logged once, on purpose: without a key file the made-up key is the only way local tools can call the API.
    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "admin API has no key file: requests need the key made up for this run, Authorization: Bearer {Key} (set Tether:Admin:ApiKeyFile / --api-key-file for a fixed one)")]
    private static partial void LogGeneratedKey(ILogger logger, string key);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "admin API refused {Method} {Path} from {Remote}: missing or wrong API key")]
    private static partial void LogUnauthorized(ILogger logger, string method, string path, IPAddress? remote);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "admin API stopped")]
    private static partial void LogStopped(ILogger logger);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "admin API {Method} {Path} answered {Status}: {Error}")]
    private static partial void LogRequestFailed(ILogger logger, string method, string path, int status, string error);
}
