using Tether.Server;

namespace Tether.Cluster;

/// <summary><see cref="ClientDetails"/> between nodes: a compact binary form (only admin requests carry it).</summary>
internal static class ClientDetailsCodec
{
    public static byte[] Encode(ClientDetails details)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(details.ClientId);
            writer.Write(details.NodeName);
            writer.Write(details.NodeId);
            writer.Write(details.Connected);
            writer.Write(details.ConnectionId ?? -1);
            writer.Write(details.RemoteAddress ?? string.Empty);
            writer.Write(details.ConnectedSince?.UtcTicks ?? -1);
            writer.Write(details.RoundTripTime?.Ticks ?? -1);
            writer.Write(details.Statistics.BytesReceived);
            writer.Write(details.Statistics.BytesSent);
            writer.Write(details.Statistics.MessagesReceived);
            writer.Write(details.Statistics.MessagesSent);
            writer.Write(details.PendingOutboundBytes);
            writer.Write(details.SessionId ?? string.Empty);
            writer.Write((byte)details.SessionState);
            writer.Write(details.UnacknowledgedMessages);
        }

        return stream.ToArray();
    }

    public static ClientDetails? Decode(ReadOnlySpan<byte> bytes)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes.ToArray()));
            var clientId = reader.ReadString();
            var nodeName = reader.ReadString();
            var nodeId = reader.ReadString();
            var connected = reader.ReadBoolean();
            var connectionId = reader.ReadInt64();
            var remote = reader.ReadString();
            var since = reader.ReadInt64();
            var rtt = reader.ReadInt64();
            var statistics = new ConnectionStatistics(reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64(), reader.ReadInt64());
            var pending = reader.ReadInt32();
            var sessionId = reader.ReadString();
            var sessionState = (ClientSessionState)reader.ReadByte();
            var unacknowledged = reader.ReadInt32();
            return new ClientDetails
            {
                ClientId = clientId,
                NodeName = nodeName,
                NodeId = nodeId,
                Connected = connected,
                ConnectionId = connectionId >= 0 ? connectionId : null,
                RemoteAddress = remote.Length > 0 ? remote : null,
                ConnectedSince = since >= 0 ? new DateTimeOffset(since, TimeSpan.Zero) : null,
                RoundTripTime = rtt >= 0 ? TimeSpan.FromTicks(rtt) : null,
                Statistics = statistics,
                PendingOutboundBytes = pending,
                SessionId = sessionId.Length > 0 ? sessionId : null,
                SessionState = sessionState,
                UnacknowledgedMessages = unacknowledged,
            };
        }
        catch (EndOfStreamException)
        {
            return null;
        }
    }
}
