using System.Net;

namespace Tether.Cli.Output;

/// <summary>Endpoints as the user typed them: <c>host:port</c>, never <c>Unspecified/host:port</c>.</summary>
internal static class EndPointText
{
    public static string? Format(EndPoint? endPoint) => endPoint switch
    {
        null => null,
        DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endPoint.ToString(),
    };
}
