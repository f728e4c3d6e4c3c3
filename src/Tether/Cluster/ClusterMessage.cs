using System.Buffers.Binary;
using System.Text;

namespace Tether.Cluster;

/// <summary>
/// A message between nodes, as published on a Redis channel: kind (1 byte), origin node id and key (each a 2-byte
/// big-endian length and UTF-8), then the payload to the end. Compact, and the payload is never re-encoded.
/// </summary>
internal readonly record struct ClusterMessage(ClusterMessageKind Kind, string Origin, string Key, ReadOnlyMemory<byte> Payload)
{
    private const int MaxStringBytes = ushort.MaxValue;

    /// <summary>Encodes into one new array (what Redis is given).</summary>
    public byte[] Encode() => Encode(Kind, Origin, Key, Payload.Span);

    /// <summary>Encodes a message whose payload is a span (a broadcast's), copying it once, into the array Redis is given.</summary>
    public static byte[] Encode(ClusterMessageKind kind, string origin, string key, ReadOnlySpan<byte> payload)
    {
        var originLength = Encoding.UTF8.GetByteCount(origin);
        var keyLength = Encoding.UTF8.GetByteCount(key);
        if (originLength > MaxStringBytes || keyLength > MaxStringBytes)
        {
            throw new ArgumentException("a cluster message's origin and key must each fit in 65,535 UTF-8 bytes");
        }

        var bytes = new byte[1 + 2 + originLength + 2 + keyLength + payload.Length];
        var span = bytes.AsSpan();
        span[0] = (byte)kind;
        var offset = 1;
        offset += WriteString(span[offset..], origin, originLength);
        offset += WriteString(span[offset..], key, keyLength);
        payload.CopyTo(span[offset..]);
        return bytes;
    }

    /// <summary>
    /// Decodes <paramref name="bytes"/>; false (nothing thrown) for anything malformed. A kind this node does not know is
    /// decoded (a newer node, or another part of the node such as the session store, may use it).
    /// </summary>
    public static bool TryDecode(ReadOnlyMemory<byte> bytes, out ClusterMessage message)
    {
        message = default;
        var span = bytes.Span;
        if (span.Length < 5 || span[0] == 0)
        {
            return false;
        }

        var offset = 1;
        if (!TryReadString(span, ref offset, out var origin) || !TryReadString(span, ref offset, out var key))
        {
            return false;
        }

        message = new ClusterMessage((ClusterMessageKind)span[0], origin, key, bytes[offset..]);
        return true;
    }

    private static int WriteString(Span<byte> destination, string value, int length)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)length);
        Encoding.UTF8.GetBytes(value, destination[2..]);
        return 2 + length;
    }

    private static bool TryReadString(ReadOnlySpan<byte> span, ref int offset, out string value)
    {
        value = string.Empty;
        if (span.Length - offset < 2)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(span[offset..]);
        offset += 2;
        if (span.Length - offset < length)
        {
            return false;
        }

        value = Encoding.UTF8.GetString(span.Slice(offset, length));
        offset += length;
        return true;
    }
}
