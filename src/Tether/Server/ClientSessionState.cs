namespace Tether.Server;

/// <summary>Where a client's reliable session stands.</summary>
public enum ClientSessionState
{
    /// <summary>The client has no reliable session (sessions off, or it did not ask for one).</summary>
    None,

    /// <summary>The session is attached to a live connection.</summary>
    Attached,

    /// <summary>The client is away; the session keeps its messages until it resumes or its time to live ends.</summary>
    Detached,

    /// <summary>The session ended without the client resuming it; what it held is gone.</summary>
    Lost,
}
