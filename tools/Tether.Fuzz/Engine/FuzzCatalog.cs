using Tether.Framing;

namespace Tether.Fuzz.Engine;

/// <summary>Every decoder Tether ships, in the settings worth fuzzing, by family.</summary>
internal static class FuzzCatalog
{
    /// <summary>The families <c>--framing</c> accepts besides <c>all</c>, in the order runs report them.</summary>
    public static IReadOnlyList<string> Families { get; } = ["tether", "lines", "length-prefixed", "raw"];

    /// <summary>
    /// Every target. Small limits make the mutations reach them; the largest possible limits show that a length field
    /// claiming gigabytes is waited for, never allocated.
    /// </summary>
    public static IReadOnlyList<FuzzTarget> All { get; } =
    [
        new TetherTarget(1024),
        new TetherTarget(int.MaxValue - Tether.Protocol.ProtocolConstants.HeaderSize),
        new LinesTarget(LineFraming.DefaultMaxLineLength),
        new LinesTarget(16),
        new LinesTarget(1),
        new LengthPrefixedTarget(LengthPrefix.UInt16, ushort.MaxValue),
        new LengthPrefixedTarget(LengthPrefix.UInt16, 20),
        new LengthPrefixedTarget(LengthPrefix.UInt32, Tether.Protocol.ProtocolConstants.DefaultMaxFrameSize),
        new LengthPrefixedTarget(LengthPrefix.UInt32, 20),
        new LengthPrefixedTarget(LengthPrefix.UInt32, 0),
        new LengthPrefixedTarget(LengthPrefix.UInt32, int.MaxValue - (int)LengthPrefix.UInt32),
        new RawTarget(),
    ];

    /// <summary>The targets of one family, or all of them for <c>all</c>.</summary>
    public static IReadOnlyList<FuzzTarget> Select(string family) =>
        family == "all" ? All : [.. All.Where(target => target.Family == family)];
}
