namespace Tether.Server;

/// <summary>What became of <see cref="TetherServer.SendToClientAndWaitForAckAsync"/>.</summary>
public enum AcknowledgedSend
{
    /// <summary>The client acknowledged the message: its application has it.</summary>
    Acknowledged,

    /// <summary>The client id has no connection and no session anywhere: nothing was sent.</summary>
    UnknownClient,

    /// <summary>The client is connected without a reliable session, so nothing can be acknowledged: nothing was sent.</summary>
    NoSession,

    /// <summary>The session ended (the client did not come back in time, or was replaced) before acknowledging it.</summary>
    SessionLost,

    /// <summary>No acknowledgement within the timeout; the message stays in the session and may still arrive.</summary>
    TimedOut,
}
