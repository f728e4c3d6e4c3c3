namespace Tether.Sessions;

/// <summary>What <see cref="ReliableSession.TrySend"/> did with a message.</summary>
internal enum SessionSendResult
{
    /// <summary>Numbered and kept until acknowledged; written to the output if one was given.</summary>
    Accepted,

    /// <summary>The replay buffer has no room for it.</summary>
    Full,

    /// <summary>The session is lost: nothing more is accepted.</summary>
    Lost,

    /// <summary>Larger than the peer accepts.</summary>
    TooLarge,

    /// <summary>
    /// The caller named an attachment that is not the current one (the session was attached elsewhere, or detached, in
    /// between): nothing changed; look up where the session is now and try again.
    /// </summary>
    Moved,
}
