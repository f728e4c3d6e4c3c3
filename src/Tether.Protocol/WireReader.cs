using System.Buffers;
using System.Text;

namespace Tether.Protocol;

/// <summary>
/// Reads big-endian fields from a frame body. Every overrun is a <see cref="TetherProtocolException"/>, so a truncated
/// or lying body can never be read past its end.
/// </summary>
internal ref struct WireReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private SequenceReader<byte> _reader;

    public WireReader(ReadOnlySequence<byte> body) => _reader = new SequenceReader<byte>(body);

    public readonly long Remaining => _reader.Remaining;

    public byte ReadByte() => _reader.TryRead(out var value) ? value : throw Truncated();

    public ushort ReadUInt16() => _reader.TryReadBigEndian(out short value) ? (ushort)value : throw Truncated();

    public uint ReadUInt32() => _reader.TryReadBigEndian(out int value) ? (uint)value : throw Truncated();

    public ulong ReadUInt64() => _reader.TryReadBigEndian(out long value) ? (ulong)value : throw Truncated();

    public SessionId ReadSessionId()
    {
        Span<byte> bytes = stackalloc byte[ProtocolConstants.SessionIdSize];
        return _reader.TryCopyTo(bytes) && _reader.Remaining >= bytes.Length
            ? Advance(SessionId.Read(bytes), bytes.Length)
            : throw Truncated();
    }

    /// <summary>Reads a u16 length and that many bytes of UTF-8 text, rejecting lengths above <paramref name="maxBytes"/>.</summary>
    public string ReadString(int maxBytes, string fieldName)
    {
        var length = ReadUInt16();
        if (length > maxBytes)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, $"{fieldName} is {length} bytes, more than the maximum of {maxBytes}");
        }

        var bytes = ReadSequence(length, fieldName);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, $"{fieldName} is not valid UTF-8");
        }
    }

    /// <summary>Reads a u16 length and that many raw bytes.</summary>
    public byte[] ReadBytes16(int maxBytes, string fieldName)
    {
        var length = ReadUInt16();
        if (length > maxBytes)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, $"{fieldName} is {length} bytes, more than the maximum of {maxBytes}");
        }

        return ReadSequence(length, fieldName).ToArray();
    }

    public ReadOnlySequence<byte> ReadSequence(long length, string fieldName)
    {
        if (_reader.Remaining < length)
        {
            throw new TetherProtocolException(CloseCode.ProtocolError, $"{fieldName} runs past the end of the frame");
        }

        var slice = _reader.UnreadSequence.Slice(0, length);
        _reader.Advance(length);
        return slice;
    }

    public ReadOnlySequence<byte> ReadRest()
    {
        var rest = _reader.UnreadSequence;
        _reader.AdvanceToEnd();
        return rest;
    }

    /// <summary>Reads TLV extension items up to the end of the body.</summary>
    public IReadOnlyList<ExtensionItem> ReadExtensions()
    {
        if (_reader.Remaining == 0)
        {
            return [];
        }

        var items = new List<ExtensionItem>();
        while (_reader.Remaining > 0)
        {
            var key = ReadUInt16();
            var length = ReadUInt16();
            var value = ReadSequence(length, "extension item").ToArray();
            items.Add(new ExtensionItem(key, value));
        }

        return items;
    }

    private T Advance<T>(T value, int count)
    {
        _reader.Advance(count);
        return value;
    }

    private static TetherProtocolException Truncated() =>
        new(CloseCode.ProtocolError, "frame body ends before its fields do");
}
