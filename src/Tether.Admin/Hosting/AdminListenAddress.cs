using System.Globalization;
using System.Net;

namespace Tether.Admin.Hosting;

/// <summary>The HOST:PORT the admin listener binds, parsed from <see cref="AdminOptions.Listen"/>.</summary>
internal static class AdminListenAddress
{
    /// <summary>Parses HOST:PORT (an IP address, <c>[v6]</c>, <c>localhost</c> or <c>*</c>); ArgumentException with one line otherwise.</summary>
    public static IPEndPoint Parse(string text)
    {
        var trimmed = text.Trim();
        var colon = trimmed.LastIndexOf(':');
        if (colon <= 0 || colon == trimmed.Length - 1)
        {
            throw Bad(text);
        }

        var host = trimmed[..colon];
        if (!int.TryParse(trimmed.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            throw Bad(text);
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        var address = host switch
        {
            "localhost" => IPAddress.Loopback,
            "*" => IPAddress.Any,
            _ => IPAddress.TryParse(host, out var parsed) ? parsed : throw Bad(text),
        };
        return new IPEndPoint(address, port);
    }

    private static ArgumentException Bad(string text) =>
        new($"Tether:Admin:Listen '{text}' is not HOST:PORT (for example 127.0.0.1:{AdminOptions.DefaultPort})");
}
