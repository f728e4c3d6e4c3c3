using Tether.Protocol;

namespace Tether.Hostile.Wire;

/// <summary>What a peer saw at the end: how it ended, the CLOSE code if any, and how long after connecting.</summary>
internal readonly record struct CloseObservation(PeerEnd End, CloseCode? Code, TimeSpan After, string? Detail = null)
{
    public static CloseObservation ConnectFailed(string detail) => new(PeerEnd.ConnectFailed, null, TimeSpan.Zero, detail);
}
