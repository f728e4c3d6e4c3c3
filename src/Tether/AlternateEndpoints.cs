using System.Net;
using System.Text;
using Tether.Protocol;

namespace Tether;

/// <summary>The <c>ALTERNATE_ENDPOINT</c> items of a GOAWAY or CLOSE, in the order the server gave them.</summary>
internal static class AlternateEndpoints
{
    /// <summary>
    /// The endpoints named by <paramref name="extensions"/>; an item that is not a valid <c>host:port</c> is skipped,
    /// since the items are only a hint (protocol section 6).
    /// </summary>
    public static IReadOnlyList<EndPoint> From(IReadOnlyList<ExtensionItem> extensions)
    {
        List<EndPoint>? endPoints = null;
        foreach (var item in extensions)
        {
            if (item.Key == ProtocolConstants.AlternateEndpointExtension && TryDecode(item.Value.Span, out var endPoint))
            {
                (endPoints ??= []).Add(endPoint);
            }
        }

        return endPoints ?? [];
    }

    private static bool TryDecode(ReadOnlySpan<byte> value, out EndPoint endPoint)
    {
        endPoint = null!;
        try
        {
            var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(value);
            if (EndPointText.TryParse(text, out var parsed) && parsed switch { IPEndPoint ip => ip.Port > 0, DnsEndPoint dns => dns.Port > 0, _ => false })
            {
                endPoint = parsed;
                return true;
            }
        }
        catch (DecoderFallbackException)
        {
        }

        return false;
    }
}
