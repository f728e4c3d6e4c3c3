namespace Tether.Hostile.Kinds;

/// <summary>Runs peer number <c>index</c> of a kind to its end.</summary>
internal delegate Task<PeerResult> PeerRun(PeerContext context, int index, CancellationToken cancellationToken);

/// <summary>
/// One row of the mix: a name, what the server must do to such peers (for the report), how many to run, and how to run
/// one. <paramref name="Continuous"/> peers all start at once and loop until the launch window ends (churners, flooders);
/// the others are launched one by one, spread evenly over the window. <paramref name="EarliestClose"/>, when given, is
/// the soonest the server may close such a peer (a staller closed before the handshake timeout was closed for nothing).
/// <paramref name="ClosesItself"/> peers expect no code: they close first, and count their connections instead.
/// </summary>
internal sealed record PeerKind(
    string Name,
    string Expects,
    Func<HostileSettings, int> Count,
    PeerRun Run,
    bool Continuous = false,
    Func<HostileSettings, TimeSpan>? EarliestClose = null,
    bool ClosesItself = false);
