using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Server;

/// <summary>
/// Decides, for a HELLO that asks for a session, which session the connection gets: the one it resumes (taken over
/// from an older connection if need be), or a new one, with the reset reason and lost count when a resume fails
/// (protocol sections 10.6-10.8).
/// </summary>
internal static class SessionHandshake
{
    private const long UnknownLost = -1;

    public static async ValueTask<SessionPlan> PlanAsync(TetherServer server, TetherConnection connection, HelloFrame hello)
    {
        if (!hello.IsResume)
        {
            return new SessionPlan(await StartNewAsync(server, connection).ConfigureAwait(false), Resumed: false, 0, SessionResetReason.None, 0);
        }

        var id = hello.ResumeSessionId;
        if (id.IsNone)
        {
            // No session ever has the all-zero id (protocol section 10.6): an unknown session, with nothing to remember
            // or report, since no session of this server was lost.
            server.Log.ResumeRefused(connection, id, nameof(SessionLostReason.Unknown));
            return new SessionPlan(await StartNewAsync(server, connection).ConfigureAwait(false), Resumed: false, 0, SessionResetReason.Unknown, ProtocolConstants.UnknownLostCount);
        }

        if (server.Sessions.TryGet(id, out var session) && !session.IsLost && session.Core.Persistence is Cluster.SessionRecord { IsActive: false } leaving)
        {
            // Detached here a moment ago and being handed to Redis: let that finish, then resume it from there.
            await leaving.Released.WaitAsync(server.Options.CloseLinger, server.TimeProvider).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            session = null;
        }

        if (session is not null && !session.IsLost)
        {
            if (hello.LastReceivedSequence > session.LastSentSequence)
            {
                throw new TetherProtocolException(CloseCode.ProtocolError, $"HELLO acknowledges seq {hello.LastReceivedSequence}, but the session only sent up to {session.LastSentSequence}");
            }

            if (hello.LastReceivedSequence >= session.AcknowledgedSequence)
            {
                await TakeOverAsync(server, session, connection).ConfigureAwait(false);
                if (!session.IsLost)
                {
                    return new SessionPlan(session, Resumed: true, hello.LastReceivedSequence, SessionResetReason.None, 0);
                }
            }
            else
            {
                // The client lacks messages this server already freed: resuming would hide a gap.
                var missing = (long)(session.AcknowledgedSequence - hello.LastReceivedSequence) + session.UnacknowledgedMessages;
                server.LoseSession(session, SessionLostReason.Gap, $"the client has up to seq {hello.LastReceivedSequence}, the server freed up to {session.AcknowledgedSequence}");
                return new SessionPlan(await StartNewAsync(server, connection).ConfigureAwait(false), Resumed: false, 0, SessionResetReason.Gap, ToLostCount(missing));
            }
        }

        if (server.SessionStore.IsDurable && await ResumeFromStoreAsync(server, connection, hello).ConfigureAwait(false) is { } stored)
        {
            return stored;
        }

        if (server.Sessions.TryGetLost(id, out var lost))
        {
            server.Log.ResumeRefused(connection, id, lost.Reason.ToString());
            return new SessionPlan(await StartNewAsync(server, connection).ConfigureAwait(false), Resumed: false, 0, ToResetReason(lost.Reason), ToLostCount(lost.LostMessages));
        }

        // Never known here (or the server restarted): both sides must hear about it, once. Remembering it makes a
        // retried resume (say, its WELCOME was lost) take the path above instead of reporting it again.
        server.Log.ResumeRefused(connection, id, nameof(SessionLostReason.Unknown));
        server.Sessions.RememberLost(id, SessionLostReason.Unknown, UnknownLost);
        server.ReportSessionLost(new SessionLostInfo
        {
            SessionId = id,
            Reason = SessionLostReason.Unknown,
            ClientId = connection.ClientId,
            Description = "a client asked to resume a session this server does not know (it may have restarted)",
        });
        return new SessionPlan(await StartNewAsync(server, connection).ConfigureAwait(false), Resumed: false, 0, SessionResetReason.Unknown, ProtocolConstants.UnknownLostCount);
    }

    /// <summary>
    /// Resume in a cluster, of a session this node does not hold: claim it from Redis (taking it from another node if
    /// need be) and rebuild it; or, if Redis only has its tombstone, the reset it calls for. Null when Redis does not
    /// know it (the caller answers UNKNOWN, as a single node does).
    /// </summary>
    private static async ValueTask<SessionPlan?> ResumeFromStoreAsync(TetherServer server, TetherConnection connection, HelloFrame hello)
    {
        var id = hello.ResumeSessionId;
        var peerLastReceived = hello.LastReceivedSequence;
        var claim = await server.SessionStore.ClaimAsync(id, peerLastReceived).ConfigureAwait(false);
        switch (claim.Outcome)
        {
            case Cluster.SessionClaimOutcome.Unknown:
                return null;
            case Cluster.SessionClaimOutcome.Lost:
                server.Log.ResumeRefused(connection, id, claim.LostReason.ToString());
                return new SessionPlan(await StartNewAsync(server, connection).ConfigureAwait(false), Resumed: false, 0, ToResetReason(claim.LostReason), ToLostCount(claim.LostMessages));
        }

        if (!claim.Contiguous || peerLastReceived < claim.Acknowledged)
        {
            // The client lacks messages already freed (a gap), or Redis lost some of them: resuming would hide it.
            var reason = claim.Contiguous ? SessionLostReason.Gap : SessionLostReason.Unknown;
            var missing = claim.Contiguous ? (long)(claim.Acknowledged - peerLastReceived) + claim.Held.Count : -1;
            await server.SessionStore.LoseClaimedAsync(claim, reason.ToString(), missing).ConfigureAwait(false);
            server.ReportSessionLost(new SessionLostInfo
            {
                SessionId = id,
                Reason = reason,
                ClientId = claim.ClientId,
                UnacknowledgedSent = Math.Max(0, missing),
                Description = claim.Contiguous
                    ? $"the client has up to seq {peerLastReceived}, the cluster freed up to {claim.Acknowledged}"
                    : "the messages stored in Redis are incomplete (Redis lost data)",
            });
            return new SessionPlan(await StartNewAsync(server, connection).ConfigureAwait(false), Resumed: false, 0, claim.Contiguous ? SessionResetReason.Gap : SessionResetReason.Unknown, ToLostCount(missing));
        }

        var session = new TetherSession(server, id, claim.ClientId);
        server.SessionStore.Adopt(session, claim, peerLastReceived);
        if (server.Sessions.Add(session) is { } superseded && superseded.Id != session.Id)
        {
            server.LoseSession(superseded, SessionLostReason.Superseded, $"client id {claim.ClientId} resumed session {session.Id}");
        }

        // Registered first: broadcasts delivered from now on wait for the catch-up, which covers what came before.
        server.Routing?.Feed.CatchUp(session);

        return new SessionPlan(session, Resumed: true, peerLastReceived, SessionResetReason.None, 0);
    }

    private static async ValueTask<TetherSession> StartNewAsync(TetherServer server, TetherConnection connection)
    {
        var session = new TetherSession(server, SessionId.NewRandom(), connection.ClientId);
        await server.SessionStore.CreateAsync(session).ConfigureAwait(false);
        if (server.Sessions.Add(session) is { } superseded)
        {
            server.LoseSession(superseded, SessionLostReason.Superseded, $"client id {connection.ClientId} started session {session.Id}");
        }

        server.Routing?.Feed.CatchUp(session);

        return session;
    }

    /// <summary>
    /// A second connection resumes a session still attached to an older one (usually half-open): the older one gets
    /// REPLACED, and its receive loop is given the linger time to end so that no message is delivered twice or out of
    /// order.
    /// </summary>
    private static async Task TakeOverAsync(TetherServer server, TetherSession session, TetherConnection connection)
    {
        if (session.Connection is not { } old || ReferenceEquals(old, connection))
        {
            return;
        }

        server.Log.SessionTakenOver(session, old, connection);
        old.BeginClose(
            new DisconnectInfo(DisconnectReason.Replaced, CloseCode.Replaced, $"session taken over by connection #{connection.Id}"),
            CloseCode.Replaced,
            "session taken over by a newer connection",
            0,
            immediate: true);
        session.DetachLink(old.Link);
        await old.ReceiveEnded.WaitAsync(server.Options.CloseLinger, server.TimeProvider).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private static SessionResetReason ToResetReason(SessionLostReason reason) => reason switch
    {
        SessionLostReason.Expired => SessionResetReason.Expired,
        SessionLostReason.Overflow => SessionResetReason.Overflow,
        SessionLostReason.Gap => SessionResetReason.Gap,
        _ => SessionResetReason.Unknown,
    };

    private static uint ToLostCount(long messages) => messages switch
    {
        < 0 => ProtocolConstants.UnknownLostCount,
        >= ProtocolConstants.UnknownLostCount => ProtocolConstants.UnknownLostCount - 1,
        _ => (uint)messages,
    };
}
