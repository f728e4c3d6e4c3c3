using System.Buffers;
using System.Buffers.Binary;

namespace Tether.Cli.Soak;

/// <summary>
/// One numbered soak message: direction, client index, counter, and a checksum of those, so that a corrupted or
/// misrouted message is recognised instead of being counted as a gap or a duplicate. 17 bytes, big-endian.
/// </summary>
internal readonly record struct SoakMessage(SoakDirection Direction, int Client, long Counter)
{
    public const int Size = 17;

    private const int ChecksumOffset = 13;

    public void Write(Span<byte> destination)
    {
        destination[0] = (byte)Direction;
        BinaryPrimitives.WriteInt32BigEndian(destination[1..], Client);
        BinaryPrimitives.WriteInt64BigEndian(destination[5..], Counter);
        BinaryPrimitives.WriteUInt32BigEndian(destination[ChecksumOffset..], Checksum(destination[..ChecksumOffset]));
    }

    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        Write(bytes);
        return bytes;
    }

    /// <summary>Reads a message; false for anything that is not exactly one well-formed soak message.</summary>
    public static bool TryRead(ReadOnlySequence<byte> payload, out SoakMessage message)
    {
        message = default;
        if (payload.Length != Size)
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[Size];
        payload.CopyTo(bytes);
        var direction = (SoakDirection)bytes[0];
        if (direction is not (SoakDirection.Up or SoakDirection.Down)
            || BinaryPrimitives.ReadUInt32BigEndian(bytes[ChecksumOffset..]) != Checksum(bytes[..ChecksumOffset]))
        {
            return false;
        }

        message = new SoakMessage(direction, BinaryPrimitives.ReadInt32BigEndian(bytes[1..]), BinaryPrimitives.ReadInt64BigEndian(bytes[5..]));
        return message.Client >= 0 && message.Counter > 0;
    }

    /// <summary>FNV-1a: enough to tell a damaged message from a real one, no cryptography needed.</summary>
    private static uint Checksum(ReadOnlySpan<byte> bytes)
    {
        var hash = 2166136261u;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }
}
