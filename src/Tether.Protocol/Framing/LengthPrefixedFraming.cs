using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Tether.Protocol;

namespace Tether.Framing;

/// <summary>
/// Each message is preceded by its length as a big-endian unsigned integer of 2 or 4 bytes (see
/// <see cref="LengthPrefix"/>). The length counts the payload only, not the prefix; zero-length messages are valid.
/// </summary>
public sealed class LengthPrefixedFraming : IFraming
{
    /// <summary>Creates a length-prefixed framing.</summary>
    /// <param name="prefix">The size of the length prefix.</param>
    /// <param name="maxMessageLength">
    /// The longest payload accepted from the peer, in bytes: 0 to 65535 for <see cref="LengthPrefix.UInt16"/> (default
    /// 65535), 0 to <c>int.MaxValue - 4</c> for <see cref="LengthPrefix.UInt32"/> (default
    /// <see cref="ProtocolConstants.DefaultMaxFrameSize"/>, 1 MiB).
    /// </param>
    public LengthPrefixedFraming(LengthPrefix prefix = LengthPrefix.UInt32, int? maxMessageLength = null)
    {
        var (limit, fallback) = prefix switch
        {
            LengthPrefix.UInt16 => (ushort.MaxValue, ushort.MaxValue),
            LengthPrefix.UInt32 => (int.MaxValue - (int)LengthPrefix.UInt32, ProtocolConstants.DefaultMaxFrameSize),
            _ => throw new ArgumentOutOfRangeException(nameof(prefix), prefix, "the prefix is UInt16 or UInt32"),
        };

        var max = maxMessageLength ?? fallback;
        ArgumentOutOfRangeException.ThrowIfNegative(max, nameof(maxMessageLength));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(max, limit, nameof(maxMessageLength));
        Prefix = prefix;
        MaxMessageLength = max;
    }

    /// <inheritdoc/>
    public string Name => "length-prefixed";

    /// <summary>The size of the length prefix.</summary>
    public LengthPrefix Prefix { get; }

    /// <summary>The longest payload accepted from the peer, in bytes (prefix not counted).</summary>
    public int MaxMessageLength { get; }

    /// <summary>The prefix plus the longest payload.</summary>
    public int MaxFrameLength => (int)Prefix + MaxMessageLength;

    /// <inheritdoc/>
    /// <exception cref="TetherProtocolException">
    /// FRAME_TOO_LARGE as soon as a complete prefix announces more than <see cref="MaxMessageLength"/> bytes, before any
    /// of the payload is buffered.
    /// </exception>
    public bool TryRead(ref ReadOnlySequence<byte> input, out ReadOnlySequence<byte> message)
    {
        var reader = new SequenceReader<byte>(input);
        if (!TryReadLength(ref reader, out var length))
        {
            message = default;
            return false;
        }

        if (length > (uint)MaxMessageLength)
        {
            throw new TetherProtocolException(
                CloseCode.FrameTooLarge,
                string.Create(CultureInfo.InvariantCulture, $"message of {length} bytes is longer than {MaxMessageLength} bytes"));
        }

        if (reader.Remaining < length)
        {
            message = default;
            return false;
        }

        message = reader.UnreadSequence.Slice(0, length);
        input = input.Slice(message.End);
        return true;
    }

    /// <inheritdoc/>
    /// <remarks>
    /// <see cref="MaxMessageLength"/> limits what is read, not what is written: a message may be as long as the prefix
    /// can express.
    /// </remarks>
    /// <exception cref="ArgumentException">
    /// <paramref name="message"/> is longer than a <see cref="LengthPrefix.UInt16"/> prefix can express (65535 bytes).
    /// </exception>
    public void Write(ReadOnlySpan<byte> message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var headerLength = (int)Prefix;
        if (Prefix == LengthPrefix.UInt16 && message.Length > ushort.MaxValue)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"a message of {message.Length} bytes does not fit a 2-byte length prefix (at most 65535)"),
                nameof(message));
        }

        var header = output.GetSpan(headerLength);
        if (Prefix == LengthPrefix.UInt16)
        {
            BinaryPrimitives.WriteUInt16BigEndian(header, (ushort)message.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32BigEndian(header, (uint)message.Length);
        }

        output.Advance(headerLength);
        output.Write(message);
    }

    private bool TryReadLength(ref SequenceReader<byte> reader, out uint length)
    {
        // SequenceReader reads signed values; the casts reinterpret the same bits as unsigned.
        if (Prefix == LengthPrefix.UInt16)
        {
            var read = reader.TryReadBigEndian(out short value);
            length = (ushort)value;
            return read;
        }
        else
        {
            var read = reader.TryReadBigEndian(out int value);
            length = (uint)value;
            return read;
        }
    }
}
