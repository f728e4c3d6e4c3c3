namespace Tether.Protocol;

/// <summary>Why a requested session resume was refused (WELCOME offset 45).</summary>
public enum SessionResetReason : ushort
{
    /// <summary>No reset: either no resume was asked for, or it succeeded.</summary>
    None = 0,

    /// <summary>The server does not know the session (never existed, or the server restarted).</summary>
    Unknown = 1,

    /// <summary>The session's detached time-to-live passed.</summary>
    Expired = 2,

    /// <summary>The session's buffer overflowed while it was detached.</summary>
    Overflow = 3,

    /// <summary>The server no longer holds messages the client lacks.</summary>
    Gap = 4,
}
