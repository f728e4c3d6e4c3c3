namespace Tether.Admin.Api;

/// <summary>A message to push: <c>data</c> (UTF-8 text) or <c>base64</c> (bytes), exactly one.</summary>
/// <param name="Data">The message as text, sent as its UTF-8 bytes.</param>
/// <param name="Base64">The message as base64-encoded bytes.</param>
/// <param name="Reliable">Keep it in the client's reliable session (delivered after a reconnect); refused for a client without one.</param>
/// <param name="WaitForAck">Answer only once the client acknowledged it (needs a session; implies reliable).</param>
internal sealed record PushRequest(string? Data, string? Base64, bool Reliable = false, bool WaitForAck = false);

/// <summary>A message for a group or everyone: <c>data</c> or <c>base64</c>, exactly one.</summary>
/// <param name="Data">The message as text, sent as its UTF-8 bytes.</param>
/// <param name="Base64">The message as base64-encoded bytes.</param>
internal sealed record FanOutRequest(string? Data, string? Base64);

/// <summary>What became of a push.</summary>
/// <param name="Status"><c>delivered</c> (handed to the client's live connection; with waitForAck, acknowledged), <c>queued</c> (kept in its detached session for its return) or <c>unknown</c> (no such client: 404).</param>
/// <param name="Node">The node that holds the client, when known.</param>
/// <param name="Acknowledged">True when the client acknowledged it (waitForAck).</param>
/// <param name="Error">Why it was not delivered, for an error answer.</param>
internal sealed record PushResponse(string Status, string? Node = null, bool? Acknowledged = null, string? Error = null);

/// <summary>How many took a group push or broadcast.</summary>
/// <param name="Count">Connections and sessions of the answering node that took it (in a cluster, the other nodes' are not counted).</param>
/// <param name="Node">The answering node.</param>
internal sealed record FanOutResponse(int Count, string Node);

/// <summary>A page of connected client ids.</summary>
/// <param name="Clients">The client ids of this page.</param>
/// <param name="NextCursor">The cursor of the next page; null on the last page.</param>
/// <param name="Limit">The page size used.</param>
internal sealed record ClientsPage(IReadOnlyList<string> Clients, string? NextCursor, int Limit);

/// <summary>One client's details.</summary>
internal sealed record ClientResponse(
    string ClientId,
    string Node,
    string NodeId,
    bool Connected,
    long? ConnectionId,
    string? RemoteAddress,
    DateTimeOffset? ConnectedSince,
    double? RttMs,
    long BytesIn,
    long BytesOut,
    long MessagesIn,
    long MessagesOut,
    int PendingBytes,
    string? SessionId,
    string SessionState,
    int UnacknowledgedMessages,
    IReadOnlyList<string> Groups);

/// <summary>A group membership after a join or leave.</summary>
/// <param name="ClientId">The client id.</param>
/// <param name="Group">The group.</param>
/// <param name="Member">True after a join, false after a leave.</param>
internal sealed record MembershipResponse(string ClientId, string Group, bool Member);

/// <summary>The answer of a disconnect.</summary>
/// <param name="Status"><c>disconnected</c>.</param>
/// <param name="Code">The close code sent.</param>
/// <param name="Reason">The reason sent.</param>
internal sealed record DisconnectResponse(string Status, int Code, string Reason);
