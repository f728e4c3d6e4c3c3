using Tether.Link;
using Tether.Protocol;

namespace Tether.Server;

// Session negotiation: which session a HELLO gets, and the WELCOME that tells the client.
public sealed partial class TetherConnection
{
    /// <summary>
    /// Gives the connection the session its HELLO asks for (resumed, taken over, or new, as <see cref="SessionHandshake"/>
    /// decides) and attaches it to <paramref name="link"/>: the WELCOME, then what the client lacks. Without one, the
    /// WELCOME says so.
    /// </summary>
    private async ValueTask NegotiateSessionAsync(PeerLink link, HelloFrame hello, int peerMaxFrame)
    {
        if ((hello.Flags & HelloFlags.Session) != 0 && _server.Options.Sessions.Enabled)
        {
            SessionPlan plan;
            try
            {
                plan = await SessionHandshake.PlanAsync(_server, this, hello).ConfigureAwait(false);
            }
            catch (Cluster.SessionStoreUnavailableException ex)
            {
                // A session that is not stored would not survive this node: refuse, and let the client try again.
                _server.Metrics.HandshakeFailures.Add(1, new KeyValuePair<string, object?>("reason", "session-store-unavailable"));
                BeginClose(new DisconnectInfo(DisconnectReason.HandshakeRejected, CloseCode.ServerBusy, ex.Message), CloseCode.ServerBusy, ex.Message, _server.NextRetryAfterMs(), immediate: false);
                return;
            }

            Session = plan.Session;
            SessionResumed = plan.Resumed;
            plan.Session.Attach(this);
            var resent = plan.Session.AttachLink(link, plan.PeerLastReceived, peerMaxFrame, (Connection: this, Plan: plan), static (writer, lastReceived, state) =>
                state.Connection.CreateWelcome(state.Plan.Session.Id, state.Plan.Resumed, state.Plan.Resumed ? lastReceived : 0, state.Plan.ResetReason, state.Plan.LostCount).Write(writer));
            _server.Metrics.MessagesResent.Add(resent);
            if (plan.Resumed)
            {
                _server.Metrics.SessionsResumed.Add(1);
                _server.Log.SessionResumed(this, plan.Session, resent);
            }
            else
            {
                _server.Metrics.SessionsStarted.Add(1);
            }
        }
        else
        {
            // No session: a resume request is answered with a session-less connection, which tells the client its
            // session is gone (protocol section 10.1).
            link.SendControl(
                CreateWelcome(SessionId.None, resumed: false, 0, hello.IsResume ? SessionResetReason.Unknown : SessionResetReason.None, hello.IsResume ? ProtocolConstants.UnknownLostCount : 0),
                static (w, writer) => w.Write(writer));
        }
    }

    /// <summary>The WELCOME for the heartbeat this link agreed (<see cref="Heartbeat"/>) and the session outcome given.</summary>
    private WelcomeFrame CreateWelcome(SessionId sessionId, bool resumed, ulong lastReceived, SessionResetReason resetReason, uint lostCount) => new()
    {
        HeartbeatIntervalMs = (uint)Heartbeat.Interval.TotalMilliseconds,
        HeartbeatTimeoutMs = (uint)Heartbeat.Timeout.TotalMilliseconds,
        MaxFrameSize = (uint)_server.Options.MaxFrameSize,
        ConnectionId = (ulong)Id,
        ServerId = _server.Options.ServerId,
        SessionActive = !sessionId.IsNone,
        Resumed = resumed,
        SessionId = sessionId,
        LastReceivedSequence = lastReceived,
        SessionResetReason = resetReason,
        LostCount = lostCount,
    };
}
