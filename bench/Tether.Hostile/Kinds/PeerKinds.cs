namespace Tether.Hostile.Kinds;

/// <summary>The kinds of hostile peer in the mix. A new kind is one more row here and one peer class.</summary>
internal static class PeerKinds
{
    public static IReadOnlyList<PeerKind> All { get; } =
    [
        new("garbage", "1002/1004/1005 as the spec rules for the bytes", s => s.Garbage, GarbagePeer.RunAsync),
        new("stallers", "1005 after the handshake timeout", s => s.Stallers, StallerPeer.RunAsync, EarliestClose: s => s.HandshakeTimeout * 0.9),
        new("oversized", "1004 from the header", s => s.Oversized, OversizedPeer.RunAsync),
        new("truncated", "1002 from the header's type", s => s.Truncated, TruncatedPeer.RunAsync),
        new("churners", "nothing (they close first)", s => s.Churners, ChurnPeer.RunAsync, Continuous: true, ClosesItself: true),
        new("flooders", "1012 (rate limit)", s => s.Flooders, FlooderPeer.RunAsync, Continuous: true),
    ];
}
