using Tether.Hostile.Wire;
using Tether.Protocol;

namespace Tether.Hostile.Kinds;

/// <summary>One hostile peer's run: how it ended, what the spec expected, and (for churners) how many connections it made.</summary>
internal readonly record struct PeerResult(CloseObservation Observation, IReadOnlySet<CloseCode> Expected, int Attempts = 1, int ConnectFailures = 0)
{
    public bool IsExpected => Observation.End switch
    {
        PeerEnd.Close => Observation.Code is { } code && Expected.Contains(code),
        PeerEnd.ClosedByPeer => Expected.Count == 0,
        _ => false,
    };
}
