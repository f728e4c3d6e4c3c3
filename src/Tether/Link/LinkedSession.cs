using System.Buffers;
using Tether.Sessions;

namespace Tether.Link;

/// <summary>
/// A <see cref="ReliableSession"/> and the <see cref="PeerLink"/> that carries it now (none while detached): where both
/// sides send in a session, attach it to a new link and detach it. The session knows no link; this is the one place
/// that pairs them, so that a send finds the link whose outbound buffer the session's frames go to.
/// </summary>
internal sealed class LinkedSession(ReliableSession session)
{
    private PeerLink? _link;

    public ReliableSession Session { get; } = session;

    /// <summary>The link carrying the session, or null while it is detached.</summary>
    public PeerLink? Link => Volatile.Read(ref _link);

    /// <summary>
    /// Accepts <paramref name="payload"/> into the session and, when attached, queues it on the link. Returns
    /// <see cref="SendResult.Full"/> when it does not fit in the replay buffer (unless <paramref name="overLimit"/>),
    /// <see cref="SendResult.TooLarge"/> when the peer would refuse it, and <see cref="SendResult.Closed"/> once the
    /// session is lost.
    /// </summary>
    public SendResult TrySend(ReadOnlySpan<byte> payload, bool overLimit, out ulong sequence)
    {
        while (true)
        {
            var link = Volatile.Read(ref _link);
            var result = link is null
                ? Session.TrySend(ReliableSession.Detached, payload, overLimit, null, out sequence)
                : link.TrySendInSession(Session, payload, overLimit, out sequence);
            switch (result)
            {
                case SessionSendResult.Accepted:
                    return SendResult.Queued;
                case SessionSendResult.Full:
                    return SendResult.Full;
                case SessionSendResult.TooLarge:
                    return SendResult.TooLarge;
                case SessionSendResult.Lost:
                    return SendResult.Closed;
            }

            // Moved: the session was attached to another link (or detached) since _link was read; it is published by now.
        }
    }

    /// <summary>
    /// Attaches the session to <paramref name="link"/>: frees what the peer says it has (<paramref name="peerLastReceived"/>),
    /// lets <paramref name="writeHandshake"/> write the handshake frame (the server's WELCOME) first, with this side's
    /// receive position and <paramref name="state"/> (so that it need not be a closure), then queues every message the
    /// peer lacks, in order. The caller has checked <paramref name="peerLastReceived"/>. Returns how many messages were resent.
    /// </summary>
    public int Attach<TState>(PeerLink link, ulong peerLastReceived, int peerMaxFrame, TState state, Action<IBufferWriter<byte>, ulong, TState>? writeHandshake)
    {
        int resent;
        using (var scope = link.Transport.BeginSend())
        {
            // Published before the session names the new attachment: a sender that finds this link waits on its send
            // lock until the replay is written, and then goes after it.
            Volatile.Write(ref _link, link);
            var attachment = Session.Attach(peerLastReceived, peerMaxFrame, out var lastReceived);
            link.Carry(Session, attachment);
            if (!scope.CanSend)
            {
                return 0;
            }

            writeHandshake?.Invoke(scope.Writer, lastReceived, state);
            resent = Session.Replay(attachment, scope.Writer);
        }

        link.OnSessionFramesWritten(writeHandshake is null ? 0 : 1, resent);
        return resent;
    }

    /// <summary>Detaches the session from <paramref name="link"/> if that is where it is; its frames no longer count.</summary>
    public bool Detach(PeerLink link)
    {
        // Under the link's send lock, so that a sender that found this link sees the session detached once it gets in.
        using var scope = link.Transport.BeginSend();
        if (!Session.Detach(link.SessionAttachment))
        {
            return false;
        }

        Interlocked.CompareExchange(ref _link, null, link);
        return true;
    }

    /// <summary>Discards the session (see <see cref="ReliableSession.MarkLost"/>); it is carried no more.</summary>
    public SessionLostInfo MarkLost(SessionLostReason reason, string? clientId, long? peerReportedLost, string description, bool keepPayloads, out IReadOnlyList<ReadOnlyMemory<byte>> unacknowledged)
    {
        var lost = Session.MarkLost(reason, clientId, peerReportedLost, description, keepPayloads, out unacknowledged);
        Volatile.Write(ref _link, null);
        return lost;
    }
}
