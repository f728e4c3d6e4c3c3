using Microsoft.Extensions.Logging;

namespace Tether.Cli.Serving;

/// <summary>The log lines of <c>tether serve</c> itself (the server's own are the library's).</summary>
internal static partial class ServeLog
{
    public const string Category = "Tether.Cli.Serve";

    /// <summary>Once at start: which node this is and which Redis it shares (its endpoints only, never a password).</summary>
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Cluster node {NodeName} on Redis {Redis} (key prefix {KeyPrefix})")]
    public static partial void ClusterNode(ILogger logger, string nodeName, string redis, string keyPrefix);
}
