using System.Buffers;
using Tether.Protocol;

namespace Tether.Link;

/// <summary>What a <see cref="PeerLink"/> hands to the side that owns it (server connection or client connection).</summary>
internal interface ILinkHandler
{
    /// <summary>An application message; the payload is a slice of the receive buffer, valid until the task completes.</summary>
    ValueTask OnDataAsync(ReadOnlySequence<byte> payload);

    /// <summary>A GOAWAY arrived; returns why the link ends (the client leaves), or throws (a server never accepts one).</summary>
    DisconnectInfo OnGoAway(GoAwayFrame goAway);

    /// <summary>A delivered message started a pending ack, due at <paramref name="deadline"/> (timestamp) unless something carries it sooner.</summary>
    void OnAckPending(long deadline);

    /// <summary>A PONG answered our PING.</summary>
    void OnRoundTrip(TimeSpan roundTripTime);

    /// <summary>
    /// A batch of <paramref name="frames"/> frames in <paramref name="bytes"/> bytes was read at <paramref name="now"/>
    /// (the timestamp the link stamped it with); throws <see cref="Protocol.TetherProtocolException"/> (RATE_LIMITED)
    /// when it takes the peer over a rate limit.
    /// </summary>
    void OnReceived(int frames, int bytes, long now);
}
