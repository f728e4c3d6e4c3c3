namespace Tether.Cluster;

/// <summary>What a message between nodes asks for (the first byte of <see cref="ClusterMessage"/>'s encoding).</summary>
internal enum ClusterMessageKind : byte
{
    /// <summary>
    /// To a node's inbox: deliver to client id <c>Key</c> (its session stores it first) and answer with
    /// <see cref="PushReply"/>. Payload: the origin's request number (8 bytes, big-endian), then the message.
    /// </summary>
    Push = 1,

    /// <summary>To a node's inbox: client id <c>Key</c> connected elsewhere; close this node's older connection of it.</summary>
    Replace = 2,

    /// <summary>To a node's own inbox: proof that its subscription still delivers.</summary>
    Probe = 3,

    /// <summary>On the broadcast channel: the payload for every connection of every other node.</summary>
    Broadcast = 4,

    /// <summary>On a group's channel: the payload for the group's members (group name in <c>Key</c>).</summary>
    Group = 5,

    /// <summary>To a node's inbox: client id <c>Key</c> joined the group named in the payload.</summary>
    GroupJoined = 6,

    /// <summary>To a node's inbox: client id <c>Key</c> left the group named in the payload.</summary>
    GroupLeft = 7,

    /// <summary>
    /// To the inbox of a <see cref="Push"/>'s origin: what became of it. Payload: the request number (8 bytes,
    /// big-endian), the <see cref="PushOutcome"/> (1 byte), then a reason in UTF-8.
    /// </summary>
    PushReply = 8,

    /// <summary>
    /// To a node's inbox: an admin request about client id <c>Key</c> (its details, a disconnect, a push that waits for
    /// the acknowledgement), answered with <see cref="AdminReply"/>. Payload: see <see cref="RemoteAdmin"/>.
    /// </summary>
    AdminRequest = 9,

    /// <summary>To the inbox of an <see cref="AdminRequest"/>'s origin: its answer. Payload: see <see cref="RemoteAdmin"/>.</summary>
    AdminReply = 10,
}
