using System.Buffers;

namespace Tether.Framing;

/// <summary>
/// No framing: whatever one socket read returned is one message, and a message is written as it is. For byte streams
/// whose boundaries do not matter to the application (proxies, stream processing); a message may hold part of what the
/// peer wrote, or several of its writes.
/// </summary>
public sealed class RawFraming : IFraming
{
    /// <summary>The most bytes one read hands over as a message.</summary>
    public const int ReadSize = 4096;

    private RawFraming()
    {
    }

    /// <summary>The shared instance (the framing has no settings).</summary>
    public static RawFraming Instance { get; } = new();

    /// <inheritdoc/>
    public string Name => "raw";

    /// <summary>The size of one read, <see cref="ReadSize"/>.</summary>
    public int MaxFrameLength => ReadSize;

    /// <summary>
    /// Returns all of <paramref name="input"/> as one message and leaves it empty; false only when it is empty.
    /// </summary>
    public bool TryRead(ref ReadOnlySequence<byte> input, out ReadOnlySequence<byte> message)
    {
        if (input.IsEmpty)
        {
            message = default;
            return false;
        }

        message = input;
        input = input.Slice(input.End);
        return true;
    }

    /// <inheritdoc/>
    public void Write(ReadOnlySpan<byte> message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Write(message);
    }
}
