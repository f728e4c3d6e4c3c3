using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Client;

/// <summary>
/// The client's half of session negotiation: what to put in HELLO, and what the WELCOME means for the session the
/// client holds, with the connection-level checks of protocol section 5.2.
/// </summary>
internal static class ClientSessionNegotiation
{
    /// <summary>The HELLO for the next attempt: ask for a session, resuming <paramref name="session"/> if there is one.</summary>
    public static HelloFrame Hello(TetherClientOptions options, ReliableSession? session) => new()
    {
        HeartbeatIntervalMs = options.HeartbeatInterval is { } interval ? (uint)Math.Clamp(interval.TotalMilliseconds, 1, uint.MaxValue) : 0,
        HeartbeatTimeoutMs = options.HeartbeatTimeout is { } timeout ? (uint)Math.Clamp(timeout.TotalMilliseconds, 1, uint.MaxValue) : 0,
        MaxFrameSize = (uint)options.MaxFrameSize,
        ClientId = options.ClientId ?? string.Empty,
        Token = options.Token,
        RequestSession = options.Sessions.Enabled,
        ResumeSessionId = options.Sessions.Enabled && session is { Lost: null } ? session.Id : SessionId.None,
        LastReceivedSequence = options.Sessions.Enabled && session is { Lost: null } ? session.LastReceived : 0,
    };

    /// <summary>Classifies the WELCOME answering <paramref name="hello"/>; throws a protocol error for an impossible one.</summary>
    public static ClientSessionOutcome Classify(HelloFrame hello, WelcomeFrame welcome, ReliableSession? session)
    {
        if (!welcome.SessionActive)
        {
            return ClientSessionOutcome.None;
        }

        if (!hello.RequestSession && !hello.IsResume)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, "WELCOME grants a session the client did not ask for");
        }

        if (!welcome.Resumed)
        {
            return ClientSessionOutcome.Started;
        }

        if (!hello.IsResume || session is null || welcome.SessionId != session.Id)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, "WELCOME resumes a session the client did not ask to resume");
        }

        if (welcome.LastReceivedSequence > session.LastSent)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, $"WELCOME acknowledges seq {welcome.LastReceivedSequence}, but the client only sent up to {session.LastSent}");
        }

        return welcome.LastReceivedSequence < session.LastAcknowledged ? ClientSessionOutcome.ClientGap : ClientSessionOutcome.Resumed;
    }

    /// <summary>Why the session the client asked to resume was not resumed, as the application sees it.</summary>
    public static SessionLostReason LossReason(WelcomeFrame welcome) =>
        !welcome.SessionActive ? SessionLostReason.NotGranted : SessionLostInfo.FromResetReason(welcome.SessionResetReason);

    /// <summary>The server's lost count, or null when it does not know.</summary>
    public static long? PeerLost(WelcomeFrame welcome) =>
        welcome.SessionResetReason == SessionResetReason.None || welcome.LostCount == ProtocolConstants.UnknownLostCount ? null : welcome.LostCount;
}
