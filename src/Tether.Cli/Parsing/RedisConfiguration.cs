using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace Tether.Cli.Parsing;

/// <summary>
/// The <c>--redis</c> value of serve and soak: HOST:PORT (or anything StackExchange.Redis's configuration syntax
/// accepts, e.g. several endpoints or <c>password=...</c>), checked before anything starts so that a typo is a usage
/// error in one line rather than a node that retries a Redis that cannot exist.
/// </summary>
internal static class RedisConfiguration
{
    public static bool TryParse(string? text, out string configuration, out string error)
    {
        configuration = string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "needs HOST:PORT, e.g. 127.0.0.1:6379";
            return false;
        }

        ConfigurationOptions parsed;
        try
        {
            parsed = ConfigurationOptions.Parse(text);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or RedisConnectionException)
        {
            error = $"'{text}' is not a Redis configuration: {ex.Message}";
            return false;
        }

        if (parsed.EndPoints.Count == 0)
        {
            error = $"'{text}' names no Redis endpoint (HOST:PORT, e.g. 127.0.0.1:6379)";
            return false;
        }

        if (parsed.EndPoints.FirstOrDefault(e => Port(e) is < 0 or > IPEndPoint.MaxPort) is { } bad)
        {
            error = $"'{text}': {Describe(bad)} has no valid port";
            return false;
        }

        configuration = text.Trim();
        error = string.Empty;
        return true;
    }

    /// <summary>
    /// The endpoints of a configuration, e.g. <c>127.0.0.1:6390</c>, for logs: never the rest of it, which may hold a
    /// password.
    /// </summary>
    public static string DescribeEndPoints(string configuration)
    {
        var parsed = ConfigurationOptions.Parse(configuration);
        parsed.SetDefaultPorts();
        return string.Join(",", parsed.EndPoints.Select(Describe));
    }

    private static int Port(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => ip.Port,
        DnsEndPoint dns => dns.Port,
        _ => 0,
    };

    private static string Describe(EndPoint endPoint) => endPoint switch
    {
        DnsEndPoint dns => string.Create(CultureInfo.InvariantCulture, $"{dns.Host}:{dns.Port}"),
        _ => endPoint.ToString() ?? string.Empty,
    };
}
