namespace Tether.Sessions;

/// <summary>Why a session ended with messages possibly undelivered.</summary>
public enum SessionLostReason
{
    /// <summary>The server did not know the session (it never existed there, or the server restarted).</summary>
    Unknown,

    /// <summary>The session was detached longer than its time to live.</summary>
    Expired,

    /// <summary>The session's replay buffer overflowed (slow or absent client).</summary>
    Overflow,

    /// <summary>One side no longer held messages the other lacked.</summary>
    Gap,

    /// <summary>The server does not grant sessions (any more), so the connection runs without one.</summary>
    NotGranted,

    /// <summary>The same client id started a new session, which replaces this one.</summary>
    Superseded,
}
