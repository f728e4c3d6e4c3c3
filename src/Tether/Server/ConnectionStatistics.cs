namespace Tether.Server;

/// <summary>What went through one connection so far: bytes on the wire and application messages, both ways.</summary>
/// <param name="BytesReceived">Bytes read from the socket (after TLS, if any).</param>
/// <param name="BytesSent">Bytes written to the network (what is still queued is <see cref="TetherConnection.PendingOutboundBytes"/>).</param>
/// <param name="MessagesReceived">Application messages received.</param>
/// <param name="MessagesSent">Application messages queued for the peer (broadcast copies included, control frames not).</param>
public readonly record struct ConnectionStatistics(long BytesReceived, long BytesSent, long MessagesReceived, long MessagesSent);
