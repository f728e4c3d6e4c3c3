using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Tether.Cli.Parsing;

/// <summary>
/// Reads <c>HOST:PORT</c> as typed on a command line: <c>127.0.0.1:7447</c>, <c>[::1]:7447</c>, <c>localhost:7447</c>,
/// <c>example.com:7447</c>, and for listening <c>:7447</c> (all IPv4 interfaces). A missing port means 7447.
/// </summary>
internal static class EndPointParser
{
    public const int DefaultPort = 7447;

    /// <summary>Splits and checks <paramref name="text"/>; on failure <paramref name="error"/> says why, without naming an option.</summary>
    public static bool TryParse(string? text, out HostPort? result, out string? error)
    {
        result = null;
        var trimmed = text?.Trim() ?? string.Empty;
        if (trimmed.Length == 0)
        {
            error = "an address is required (HOST:PORT, e.g. 127.0.0.1:7447)";
            return false;
        }

        if (!TrySplit(trimmed, out var host, out var portText, out error))
        {
            return false;
        }

        var port = DefaultPort;
        if (portText is not null
            && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port > IPEndPoint.MaxPort))
        {
            error = $"'{trimmed}' has an invalid port '{portText}' (0-65535)";
            return false;
        }

        IPAddress? address;
        if (host.Length == 0)
        {
            // ":7447" means every interface. IPv4 "any" is chosen over a dual-mode IPv6 socket because it also works
            // on hosts where IPv6 is disabled; use "[::]:7447" to listen on IPv6 too.
            address = IPAddress.Any;
        }
        else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            // Resolving localhost through DNS can yield ::1 first while servers here default to 127.0.0.1; a fixed
            // answer keeps "localhost" meaning the same thing for serve and connect.
            address = IPAddress.Loopback;
        }
        else if (IsNumeric(host))
        {
            // IPAddress.TryParse would take "127.1" or a bare "7447" as an address; on a command line those are
            // typos or a forgotten host, so only complete dotted quads count.
            if (host.Count(c => c == '.') != 3 || !IPAddress.TryParse(host, out address))
            {
                error = portText is null && !host.Contains('.', StringComparison.Ordinal)
                    ? $"'{trimmed}' has no host; write HOST:PORT, e.g. localhost:{host}"
                    : $"'{trimmed}' has an invalid IPv4 address '{host}'";
                return false;
            }
        }
        else if (host.Contains(':', StringComparison.Ordinal) && IPAddress.TryParse(host, out var v6))
        {
            address = v6;
        }
        else if (Uri.CheckHostName(host) == UriHostNameType.Dns)
        {
            address = null;
        }
        else
        {
            error = $"'{trimmed}' has an invalid host '{host}'";
            return false;
        }

        result = new HostPort(host, port, address);
        error = null;
        return true;
    }

    /// <summary>An endpoint to bind: the host must be an IP address, <c>localhost</c> or empty; port 0 picks a free port.</summary>
    public static bool TryParseListen(string? text, out IPEndPoint? endPoint, out string? error)
    {
        endPoint = null;
        if (!TryParse(text, out var hostPort, out error))
        {
            return false;
        }

        if (hostPort!.Address is not { } address)
        {
            error = $"cannot listen on '{hostPort.Host}': use an IP address, localhost, or :PORT for all interfaces";
            return false;
        }

        endPoint = new IPEndPoint(address, hostPort.Port);
        return true;
    }

    /// <summary>An endpoint to connect to: an <see cref="IPEndPoint"/>, or a <see cref="DnsEndPoint"/> for a host name.</summary>
    public static bool TryParseConnect(string? text, out EndPoint? endPoint, out string? error)
    {
        endPoint = null;
        if (!TryParse(text, out var hostPort, out error))
        {
            return false;
        }

        if (hostPort!.Port == 0)
        {
            error = $"'{text!.Trim()}': cannot connect to port 0";
            return false;
        }

        if (hostPort.Host.Length == 0)
        {
            error = $"'{text!.Trim()}': a host is required to connect";
            return false;
        }

        endPoint = hostPort.Address is { } ip ? new IPEndPoint(ip, hostPort.Port) : new DnsEndPoint(hostPort.Host, hostPort.Port);
        return true;
    }

    private static bool TrySplit(string text, out string host, out string? port, out string? error)
    {
        error = null;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                (host, port, error) = (string.Empty, null, $"'{text}' is missing the closing ']'");
                return false;
            }

            host = text[1..close];
            var rest = text[(close + 1)..];
            if (rest.Length == 0)
            {
                port = null;
            }
            else if (rest[0] == ':' && rest.Length > 1)
            {
                port = rest[1..];
            }
            else
            {
                (port, error) = (null, $"'{text}' must look like [IPv6]:PORT");
                return false;
            }

            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"'{text}': '{host}' between brackets is not an IPv6 address";
                return false;
            }

            return true;
        }

        var colon = text.LastIndexOf(':');
        if (colon < 0)
        {
            (host, port) = (text, null);
            return true;
        }

        if (text.IndexOf(':', StringComparison.Ordinal) != colon)
        {
            (host, port, error) = (string.Empty, null, $"'{text}': put IPv6 addresses in brackets, e.g. [::1]:7447");
            return false;
        }

        host = text[..colon];
        port = text[(colon + 1)..];
        if (port.Length == 0)
        {
            error = $"'{text}' is missing the port after ':'";
            return false;
        }

        return true;
    }

    private static bool IsNumeric(string host) => host.All(c => char.IsAsciiDigit(c) || c == '.');
}
