using Tether.Protocol;

namespace Tether.Hostile.Kinds;

/// <summary>The sets of close codes a peer may be closed with; the spec sometimes allows more than one.</summary>
internal static class CloseCodes
{
    public static IReadOnlySet<CloseCode> ProtocolError { get; } = Of(CloseCode.ProtocolError);

    public static IReadOnlySet<CloseCode> FrameTooLarge { get; } = Of(CloseCode.FrameTooLarge);

    public static IReadOnlySet<CloseCode> HandshakeTimeout { get; } = Of(CloseCode.HandshakeTimeout);

    public static IReadOnlySet<CloseCode> RateLimited { get; } = Of(CloseCode.RateLimited);

    /// <summary>For peers that close themselves and expect no code at all.</summary>
    public static IReadOnlySet<CloseCode> None { get; } = Of();

    public static IReadOnlySet<CloseCode> Of(params CloseCode[] codes) => new HashSet<CloseCode>(codes);

    /// <summary>"1002/1004", for the report.</summary>
    public static string Describe(IEnumerable<CloseCode> codes) =>
        string.Join('/', codes.Order().Select(c => ((int)c).ToString(System.Globalization.CultureInfo.InvariantCulture)));
}
