using System.Buffers;
using Tether.Sessions;

namespace Tether.Link;

/// <summary>
/// Where a <see cref="ReliableSession"/> meets the <see cref="PeerLink"/> that carries it now (the carrier, null while
/// detached): sending in the session, attaching it to a new link and detaching it. The session knows no link; its owner
/// keeps the carrier in a field of its own (a server session pays one reference for it, not an object) and passes it
/// here by reference, so that a send finds the link whose outbound buffer the session's frames go to.
/// </summary>
internal static class SessionCarrier
{
    /// <summary>
    /// Accepts <paramref name="payload"/> into the session and, when attached, queues it on the link. Returns
    /// <see cref="SendResult.Full"/> when it does not fit in the replay buffer (unless <paramref name="overLimit"/>),
    /// <see cref="SendResult.TooLarge"/> when the peer would refuse it, and <see cref="SendResult.Closed"/> once the
    /// session is lost.
    /// </summary>
    public static SendResult TrySend(ReliableSession session, ref PeerLink? carrier, ReadOnlySpan<byte> payload, bool overLimit, out ulong sequence)
    {
        while (true)
        {
            var link = Volatile.Read(ref carrier);
            var result = link is null
                ? session.TrySend(ReliableSession.Detached, payload, overLimit, null, out sequence)
                : link.TrySendInSession(session, payload, overLimit, out sequence);
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

            // Moved: the session was attached to another link (or detached) since the carrier was read; it is published by now.
        }
    }

    /// <summary>
    /// Attaches the session to <paramref name="link"/>: frees what the peer says it has (<paramref name="peerLastReceived"/>),
    /// lets <paramref name="writeHandshake"/> write the handshake frame (the server's WELCOME) first, with this side's
    /// receive position and <paramref name="state"/> (so that it need not be a closure), then queues every message the
    /// peer lacks, in order (up to <paramref name="through"/>: with persistence, what the store has). The caller has
    /// checked <paramref name="peerLastReceived"/>. Returns how many messages were resent.
    /// </summary>
    public static int Attach<TState>(ReliableSession session, ref PeerLink? carrier, PeerLink link, ulong peerLastReceived, int peerMaxFrame, TState state, Action<IBufferWriter<byte>, ulong, TState>? writeHandshake, ulong through = ulong.MaxValue)
    {
        int resent;
        using (var scope = link.Transport.BeginSend())
        {
            // Published before the session names the new attachment: a sender that finds this link waits on its send
            // lock until the replay is written, and then goes after it.
            Volatile.Write(ref carrier, link);
            var attachment = session.Attach(peerLastReceived, peerMaxFrame, out var lastReceived);
            link.Carry(session, attachment);
            if (!scope.CanSend)
            {
                return 0;
            }

            writeHandshake?.Invoke(scope.Writer, lastReceived, state);
            resent = session.Replay(attachment, scope.Writer, through);
        }

        link.OnSessionFramesWritten(writeHandshake is null ? 0 : 1, resent);
        return resent;
    }

    /// <summary>Detaches the session from <paramref name="link"/> if that is where it is; its frames no longer count.</summary>
    public static bool Detach(ReliableSession session, ref PeerLink? carrier, PeerLink link)
    {
        // Under the link's send lock, so that a sender that found this link sees the session detached once it gets in.
        using var scope = link.Transport.BeginSend();
        if (!session.Detach(link.SessionAttachment))
        {
            return false;
        }

        Interlocked.CompareExchange(ref carrier, null, link);
        return true;
    }
}
