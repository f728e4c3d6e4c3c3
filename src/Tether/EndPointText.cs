using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;

namespace Tether;

/// <summary>Endpoints as text: parses "host:port" and "[v6]:port" (IP literal or DNS name) and formats them back.</summary>
internal static class EndPointText
{
    /// <summary>Formats an endpoint as a user would type it: <c>host:port</c>, <c>[v6]:port</c>; null stays null.</summary>
    [return: NotNullIfNotNull(nameof(endPoint))]
    public static string? Format(EndPoint? endPoint) => endPoint switch
    {
        null => null,
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endPoint.ToString(),
    };

    /// <summary>Parses <paramref name="text"/>; false with no exception for anything malformed.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out EndPoint? endPoint)
    {
        endPoint = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            return false;
        }

        var host = text[..colon];
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            return false;
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            return false;
        }

        if (IPAddress.TryParse(host, out var address))
        {
            endPoint = new IPEndPoint(address, port);
            return true;
        }

        if (Uri.CheckHostName(host) != UriHostNameType.Dns)
        {
            return false;
        }

        endPoint = new DnsEndPoint(host, port);
        return true;
    }
}
