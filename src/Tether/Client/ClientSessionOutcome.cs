namespace Tether.Client;

/// <summary>What a WELCOME means for the client's session (protocol sections 10.1, 10.6, 10.7).</summary>
internal enum ClientSessionOutcome
{
    /// <summary>No session asked for, none granted.</summary>
    None,

    /// <summary>A new session (the first, or after a reset).</summary>
    Started,

    /// <summary>The session was resumed.</summary>
    Resumed,

    /// <summary>The server lacks messages the client already freed: the client must start over (section 10.6, step 4).</summary>
    ClientGap,
}
