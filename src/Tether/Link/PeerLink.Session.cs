using Tether.Protocol;
using Tether.Sessions;

namespace Tether.Link;

// The link's side of the reliable session it carries: every input the session gets from this link (DATA and its
// piggy-backed ack, a send, the ack timer), with the frames it writes going into this link's outbound buffer.
internal sealed partial class PeerLink
{
    private ReliableSession? _session;
    private int _sessionAttachment;

    /// <summary>The reliable session this link carries, or null: DATA is then neither numbered nor acknowledged.</summary>
    public ReliableSession? Session => Volatile.Read(ref _session);

    /// <summary>The session's attachment to this link: what every session input from this link names.</summary>
    public int SessionAttachment => Volatile.Read(ref _sessionAttachment);

    /// <summary>Applies the session rules to a DATA frame (one session input); false when it is a duplicate to drop.</summary>
    private bool Accept(in DataFrame data, ILinkHandler handler, long now)
    {
        var session = _session;
        if (session is null)
        {
            if (data.Flags != DataFlags.None)
            {
                throw new TetherProtocolException(CloseCode.ProtocolError, "DATA with SEQ or ACK on a connection without a session");
            }

            return true;
        }

        if (!data.HasSequence)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, "DATA without SEQ in a session");
        }

        if (data.Sequence == 0)
        {
            // Numbering starts at 1 (protocol section 10.2): seq 0 is a sender bug, not a duplicate to drop.
            throw new TetherProtocolException(CloseCode.ProtocolError, "DATA seq 0 in a session (numbering starts at 1)");
        }

        switch (session.OnData(_sessionAttachment, data.Sequence, (int)data.Payload.Length, data.HasAck, data.Ack, now, out var ackSignal, out var ackDeadline))
        {
            case ReceiveVerdict.Duplicate:
                Metrics.DuplicatesDropped.Add(1);
                return false;
            case ReceiveVerdict.Gap:
                throw new TetherProtocolException(CloseCode.ProtocolError, $"DATA seq {data.Sequence} skips messages after {session.LastReceived}");
            case ReceiveVerdict.AckBeyondLastSent:
                throw AckBeyondLastSent(data.Ack, session);
        }

        if (ackSignal == AckSignal.Due)
        {
            FlushAck(force: true, 0);
        }
        else if (ackSignal == AckSignal.Started)
        {
            handler.OnAckPending(ackDeadline);
        }

        return true;
    }

    /// <summary>Starts carrying <paramref name="session"/> on its attachment <paramref name="attachment"/> (called by <see cref="LinkedSession"/>).</summary>
    public void Carry(ReliableSession session, int attachment)
    {
        Volatile.Write(ref _sessionAttachment, attachment);
        Volatile.Write(ref _session, session);
    }

    /// <summary>
    /// Input "send requested" to <paramref name="session"/>, on this link: the DATA frame it produces goes into this
    /// link's outbound buffer, under the send lock (taken before the session's).
    /// </summary>
    public SessionSendResult TrySendInSession(ReliableSession session, ReadOnlySpan<byte> payload, bool overLimit, out ulong sequence)
    {
        SessionSendResult result;
        bool written;
        using (var scope = Transport.BeginSend())
        {
            if (!ReferenceEquals(session, _session))
            {
                sequence = 0;
                return SessionSendResult.Moved;
            }

            var output = scope.CanSend && !IsClosing ? scope.Writer : null;
            result = session.TrySend(_sessionAttachment, payload, overLimit, output, out sequence);
            written = output is not null && result == SessionSendResult.Accepted;
        }

        if (written)
        {
            OnSessionFramesWritten(0, 1);
        }

        return result;
    }

    /// <summary>
    /// Writes the messages of <paramref name="session"/> numbered after <paramref name="after"/> up to
    /// <paramref name="through"/> (a persistent session's, once the store has them), if this link still carries it.
    /// </summary>
    public void WriteStoredSessionFrames(ReliableSession session, ulong after, ulong through)
    {
        int written;
        using (var scope = Transport.BeginSend())
        {
            if (!ReferenceEquals(session, _session) || !scope.CanSend || IsClosing)
            {
                return;
            }

            written = session.WriteStored(_sessionAttachment, after, through, scope.Writer);
        }

        OnSessionFramesWritten(0, written);
    }

    /// <summary>
    /// Input "ack timer" to the session this link carries: writes its pending ack if one is pending and (unless
    /// <paramref name="force"/>) its deadline has passed; returns the next deadline, or <see cref="long.MaxValue"/>.
    /// </summary>
    public long FlushAck(bool force, long now)
    {
        if (_session is not { } session)
        {
            return long.MaxValue;
        }

        long next;
        bool written;
        using (var scope = Transport.BeginSend())
        {
            next = session.FlushAck(_sessionAttachment, force, now, scope.CanSend ? scope.Writer : null, out written);
        }

        if (written)
        {
            MarkSent();
            Metrics.FramesSent.Add(1);
            Metrics.AcksSent.Add(1);
        }

        return next;
    }

    /// <summary>Bookkeeping for frames a session wrote to this link: control frames (a WELCOME) and DATA.</summary>
    public void OnSessionFramesWritten(int controlFrames, int dataFrames)
    {
        if (controlFrames + dataFrames == 0)
        {
            return;
        }

        MarkSent();
        Metrics.FramesSent.Add(controlFrames + dataFrames);
        if (dataFrames > 0)
        {
            Metrics.MessagesSent.Add(dataFrames);
            CountMessagesSent(dataFrames);
        }
    }

    private static TetherProtocolException AckBeyondLastSent(ulong ack, ReliableSession session) =>
        new(CloseCode.ProtocolError, $"ack {ack} is beyond the last sequence sent ({session.LastSent})");
}
