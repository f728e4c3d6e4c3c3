using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace Tether.Cli.Output;

/// <summary>
/// Endpoints as a user would type them back on the command line: <c>host:port</c>, <c>[v6]:port</c>. A
/// <see cref="DnsEndPoint"/> prints itself as <c>Unspecified/host:port</c>, which no option accepts.
/// </summary>
internal static class EndPointDisplay
{
    /// <summary>The endpoint as <c>host:port</c> or <c>[v6]:port</c>; null stays null.</summary>
    [return: NotNullIfNotNull(nameof(endPoint))]
    public static string? Format(EndPoint? endPoint) => endPoint switch
    {
        null => null,
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endPoint.ToString(),
    };
}
