using System.Buffers;
using Tether.Sessions;

namespace Tether.Link;

/// <summary>A <see cref="ReliableSession"/> with its carrier (see <see cref="SessionCarrier"/>): the client's session.</summary>
internal sealed class LinkedSession(ReliableSession session)
{
    private PeerLink? _link;

    public ReliableSession Session { get; } = session;

    /// <inheritdoc cref="SessionCarrier.TrySend"/>
    public SendResult TrySend(ReadOnlySpan<byte> payload, bool overLimit, out ulong sequence) =>
        SessionCarrier.TrySend(Session, ref _link, payload, overLimit, out sequence);

    /// <inheritdoc cref="SessionCarrier.Attach"/>
    public int Attach<TState>(PeerLink link, ulong peerLastReceived, int peerMaxFrame, TState state, Action<IBufferWriter<byte>, ulong, TState>? writeHandshake) =>
        SessionCarrier.Attach(Session, ref _link, link, peerLastReceived, peerMaxFrame, state, writeHandshake);

    /// <summary>Discards the session (see <see cref="ReliableSession.MarkLost"/>); it is carried no more.</summary>
    public SessionLostInfo MarkLost(SessionLostReason reason, string? clientId, long? peerReportedLost, string description, bool keepPayloads, out IReadOnlyList<ReadOnlyMemory<byte>> unacknowledged)
    {
        var lost = Session.MarkLost(reason, clientId, peerReportedLost, description, keepPayloads, out unacknowledged);
        Volatile.Write(ref _link, null);
        return lost;
    }
}
