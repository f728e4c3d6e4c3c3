using Tether.Protocol;

namespace Tether.Client;

/// <summary>A reconnect resumed the client's session: nothing was lost, and what each side lacked is being resent.</summary>
public sealed class SessionResumedEventArgs(SessionId sessionId, ulong serverLastReceived, int resent) : EventArgs
{
    /// <summary>The session resumed.</summary>
    public SessionId SessionId { get; } = sessionId;

    /// <summary>The last of the client's messages the server had received when the link dropped.</summary>
    public ulong ServerLastReceived { get; } = serverLastReceived;

    /// <summary>How many of the client's messages are being sent again because the server lacked them.</summary>
    public int Resent { get; } = resent;
}
