using System.Buffers.Binary;
using System.Text;

namespace Tether.Protocol;

/// <summary>Writes big-endian fields into a span sized in advance by the frame's length calculation.</summary>
internal ref struct WireWriter
{
    private readonly Span<byte> _destination;
    private int _position;

    public WireWriter(Span<byte> destination) => _destination = destination;

    public readonly int Position => _position;

    public void WriteHeader(FrameType type, byte flags, int bodyLength)
    {
        new FrameHeader(type, flags, bodyLength).Write(_destination[_position..]);
        _position += ProtocolConstants.HeaderSize;
    }

    public void WriteByte(byte value) => _destination[_position++] = value;

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_destination[_position..], value);
        _position += 2;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_destination[_position..], value);
        _position += 4;
    }

    public void WriteUInt64(ulong value)
    {
        BinaryPrimitives.WriteUInt64BigEndian(_destination[_position..], value);
        _position += 8;
    }

    public void WriteSessionId(SessionId id)
    {
        id.Write(_destination[_position..]);
        _position += ProtocolConstants.SessionIdSize;
    }

    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_destination[_position..]);
        _position += bytes.Length;
    }

    /// <summary>Writes a u16 length and the UTF-8 bytes of <paramref name="text"/>, whose length was measured by <see cref="Utf8Length"/>.</summary>
    public void WriteString16(string text, int byteCount)
    {
        WriteUInt16((ushort)byteCount);
        var written = Encoding.UTF8.GetBytes(text.AsSpan(0, CharsFitting(text, byteCount)), _destination.Slice(_position, byteCount));
        _position += written;
    }

    public void WriteExtensions(IReadOnlyList<ExtensionItem> items)
    {
        foreach (var item in items)
        {
            WriteUInt16(item.Key);
            WriteUInt16((ushort)item.Value.Length);
            WriteBytes(item.Value.Span);
        }
    }

    /// <summary>UTF-8 length of <paramref name="text"/>, capped at <paramref name="maxBytes"/> without splitting a character.</summary>
    public static int Utf8Length(string? text, int maxBytes)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        var full = Encoding.UTF8.GetByteCount(text);
        return full <= maxBytes ? full : Encoding.UTF8.GetByteCount(text.AsSpan(0, CharsFitting(text, maxBytes)));
    }

    public static int ExtensionsLength(IReadOnlyList<ExtensionItem> items)
    {
        var total = 0;
        foreach (var item in items)
        {
            if (item.Value.Length > ushort.MaxValue)
            {
                throw new ArgumentException("an extension value is at most 65535 bytes", nameof(items));
            }

            total += item.EncodedLength;
        }

        return total;
    }

    private static int CharsFitting(string text, int maxBytes)
    {
        var bytes = 0;
        var index = 0;
        while (index < text.Length)
        {
            var step = char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]) ? 2 : 1;
            var size = Encoding.UTF8.GetByteCount(text.AsSpan(index, step));
            if (bytes + size > maxBytes)
            {
                break;
            }

            bytes += size;
            index += step;
        }

        return index;
    }
}
