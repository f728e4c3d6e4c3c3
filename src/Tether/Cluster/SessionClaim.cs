using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Cluster;

/// <summary>What a resume found in the store: the session's state (claimed), a tombstone (lost), or nothing (unknown).</summary>
internal sealed record SessionClaim(SessionClaimOutcome Outcome)
{
    public static readonly SessionClaim Unknown = new(SessionClaimOutcome.Unknown);

    public SessionId Id { get; init; }

    /// <summary>The client id the keys are under ("~" + session id for an anonymous session).</summary>
    public string StoreClientId { get; init; } = string.Empty;

    /// <summary>The application's client id, or null for an anonymous session.</summary>
    public string? ClientId => StoreClientId.StartsWith('~') ? null : StoreClientId;

    public long Fence { get; init; }

    /// <summary>The last sequence number stored (before the claim raised it to the client's last received).</summary>
    public ulong Out { get; init; }

    public ulong Acknowledged { get; init; }

    /// <summary>The last client sequence number persisted (what the new owner acknowledges).</summary>
    public ulong Received { get; init; }

    public string PreviousOwner { get; init; } = string.Empty;

    /// <summary>The unacknowledged messages, numbered from <see cref="Acknowledged"/> + 1.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Held { get; init; } = [];

    /// <summary>False when the stored messages do not run contiguously up to <see cref="Out"/> (Redis lost some).</summary>
    public bool Contiguous { get; init; } = true;

    /// <summary>The ids of the last pushes the session took from other nodes (so that a retried one is not taken twice).</summary>
    public IReadOnlyList<string> RecentPushes { get; init; } = [];

    /// <summary>The position in the cluster's broadcast log of the last broadcast the session took.</summary>
    public ulong BroadcastCursor { get; init; }

    public SessionLostReason LostReason { get; init; } = SessionLostReason.Unknown;

    /// <summary>Messages lost according to the tombstone, -1 when unknown.</summary>
    public long LostMessages { get; init; } = -1;
}

/// <summary>The kinds of <see cref="SessionClaim"/>.</summary>
internal enum SessionClaimOutcome
{
    Claimed,
    Lost,
    Unknown,
}
