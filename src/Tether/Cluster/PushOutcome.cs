namespace Tether.Cluster;

/// <summary>What the node holding a client id did with a push to it (<see cref="ClusterMessageKind.PushReply"/>).</summary>
internal enum PushOutcome : byte
{
    /// <summary>Appended to the client's session in Redis: it reaches the client, here or after a resume elsewhere.</summary>
    Stored = 1,

    /// <summary>The session already has this push (an earlier attempt of the same request got there).</summary>
    Duplicate = 2,

    /// <summary>Queued on a connection without a session: at most once.</summary>
    Delivered = 3,

    /// <summary>The client id is not (or no longer) on that node: look it up again.</summary>
    NotHere = 4,

    /// <summary>The node could not store it (Redis refused or timed out); the reason says why.</summary>
    Failed = 5,
}
