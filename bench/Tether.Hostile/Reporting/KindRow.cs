using Tether.Protocol;

namespace Tether.Hostile.Reporting;

/// <summary>
/// One kind's line in the report. <see cref="Expected"/> and <see cref="Other"/> count closes by code; the time to the
/// CLOSE is from the peer's connect (which is when the server's handshake clock starts, give or take the accept).
/// </summary>
internal sealed record KindRow(
    string Name,
    string Expects,
    bool ExpectsClose,
    int Peers,
    int Finished,
    IReadOnlyDictionary<CloseCode, int> Expected,
    IReadOnlyDictionary<CloseCode, int> Other,
    int NoClose,
    int StillOpen,
    int ConnectFailed,
    long Attempts,
    long AttemptsFailed,
    TimeSpan? FirstClose,
    TimeSpan? LastClose,
    IReadOnlyList<string> Samples)
{
    public int ClosedAsExpected => Expected.Values.Sum();

    public int ClosedOtherwise => Other.Values.Sum();
}
