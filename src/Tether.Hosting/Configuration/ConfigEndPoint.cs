using System.Globalization;
using System.Net;

namespace Tether.Hosting.Configuration;

/// <summary>
/// Endpoints as operators write them: <c>127.0.0.1:7447</c>, <c>[::1]:7447</c>, <c>:7447</c> (every IPv4 interface),
/// <c>localhost:7447</c>, or a host name (clients only).
/// </summary>
internal static class ConfigEndPoint
{
    public const string Examples = "e.g. 127.0.0.1:7447, [::]:7447, :7447";

    public static bool TryParse(string text, bool allowHostName, out EndPoint? endPoint)
    {
        endPoint = null;
        var trimmed = text.Trim();
        var colon = trimmed.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(trimmed[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            return false;
        }

        var host = trimmed[..colon];
        if (host.Length == 0)
        {
            endPoint = new IPEndPoint(IPAddress.Any, port);
            return true;
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (IPAddress.TryParse(host, out var address))
        {
            endPoint = new IPEndPoint(address, port);
            return true;
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) && !allowHostName)
        {
            endPoint = new IPEndPoint(IPAddress.Loopback, port);
            return true;
        }

        if (allowHostName && Uri.CheckHostName(host) == UriHostNameType.Dns)
        {
            endPoint = new DnsEndPoint(host, port);
            return true;
        }

        return false;
    }
}
