using Tether.Protocol;

namespace Tether.Sessions;

/// <summary>A session that ended before everything in it was delivered: the side reporting it cannot vouch for its messages.</summary>
public sealed record SessionLostInfo
{
    /// <summary>The session that was lost.</summary>
    public required SessionId SessionId { get; init; }

    /// <summary>Why it was lost.</summary>
    public required SessionLostReason Reason { get; init; }

    /// <summary>The client id the session belonged to, if any.</summary>
    public string? ClientId { get; init; }

    /// <summary>
    /// Messages this side had sent (or accepted for sending) in the session that the peer never acknowledged: they may
    /// or may not have arrived.
    /// </summary>
    public long UnacknowledgedSent { get; init; }

    /// <summary>
    /// Messages the peer reports as lost on its side (the server's <c>lostCount</c>, seen by a client), or null when
    /// unknown. A server reporting a loss leaves it null: it cannot know what the client sent that never arrived.
    /// </summary>
    public long? PeerReportedLost { get; init; }

    /// <summary>Human-readable detail for logs.</summary>
    public string Description { get; init; } = string.Empty;

    /// <summary>Maps the wire's reset reason to a loss reason.</summary>
    public static SessionLostReason FromResetReason(SessionResetReason reason) => reason switch
    {
        SessionResetReason.Expired => SessionLostReason.Expired,
        SessionResetReason.Overflow => SessionLostReason.Overflow,
        SessionResetReason.Gap => SessionLostReason.Gap,
        _ => SessionLostReason.Unknown,
    };
}
