using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Tether.Protocol;

namespace Tether.Framing;

/// <summary>
/// One message per line: the bytes before <c>\n</c>, without one trailing <c>\r</c>, so peers may end lines with
/// <c>\n</c> or <c>\r\n</c> (telnet, netcat, tutorial clients). Empty lines are empty messages. Bytes are passed through
/// as they are: nothing is decoded or validated as text. Messages are written with a <c>\n</c> ending.
/// </summary>
public sealed class LineFraming : IFraming
{
    /// <summary>The longest line accepted unless configured otherwise, in bytes (line ending not counted).</summary>
    public const int DefaultMaxLineLength = 8192;

    private const byte LineFeed = (byte)'\n';
    private const byte CarriageReturn = (byte)'\r';

    /// <summary>Creates a line framing that accepts lines of up to <paramref name="maxLineLength"/> bytes.</summary>
    /// <param name="maxLineLength">
    /// The longest line accepted, in bytes, not counting its <c>\n</c> or <c>\r\n</c> ending; at least 1.
    /// </param>
    public LineFraming(int maxLineLength = DefaultMaxLineLength)
    {
        // The upper bound keeps MaxFrameLength (line plus "\r\n") representable.
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLineLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxLineLength, int.MaxValue - 2);
        MaxLineLength = maxLineLength;
    }

    /// <inheritdoc/>
    public string Name => "lines";

    /// <summary>The longest line accepted, in bytes, not counting its line ending.</summary>
    public int MaxLineLength { get; }

    /// <summary>The longest line plus a <c>\r\n</c> ending.</summary>
    public int MaxFrameLength => MaxLineLength + 2;

    /// <inheritdoc/>
    /// <exception cref="TetherProtocolException">
    /// FRAME_TOO_LARGE as soon as the buffered bytes prove that the current line is longer than
    /// <see cref="MaxLineLength"/>.
    /// </exception>
    public bool TryRead(ref ReadOnlySequence<byte> input, out ReadOnlySequence<byte> message)
    {
        // A legal line and its ending fit in MaxFrameLength bytes, so nothing past that is ever searched: a peer that
        // never sends a newline costs one bounded search per read, not a scan of everything it sent.
        var window = input.Length > MaxFrameLength ? input.Slice(0, MaxFrameLength) : input;
        var reader = new SequenceReader<byte>(window);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> line, LineFeed))
        {
            // Without a newline in sight the line is already too long once it holds MaxLineLength + 1 bytes, unless
            // the last of them is a '\r' that a '\n' may still turn into the ending.
            if (window.Length > MaxLineLength
                && (window.Length > MaxLineLength + 1 || ByteAt(window, MaxLineLength) != CarriageReturn))
            {
                throw TooLong();
            }

            message = default;
            return false;
        }

        if (!line.IsEmpty && ByteAt(line, line.Length - 1) == CarriageReturn)
        {
            line = line.Slice(0, line.Length - 1);
        }

        if (line.Length > MaxLineLength)
        {
            throw TooLong();
        }

        message = line;
        input = input.Slice(reader.Position);
        return true;
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">
    /// <paramref name="message"/> contains <c>\n</c> or ends with <c>\r</c>: the peer would not read it back as sent.
    /// </exception>
    public void Write(ReadOnlySpan<byte> message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (message.Contains(LineFeed))
        {
            throw new ArgumentException("a line cannot contain '\\n'", nameof(message));
        }

        if (!message.IsEmpty && message[^1] == CarriageReturn)
        {
            throw new ArgumentException("a line cannot end with '\\r' (it would be read as part of the line ending)", nameof(message));
        }

        output.Write(message);
        output.GetSpan(1)[0] = LineFeed;
        output.Advance(1);
    }

    /// <summary>
    /// Writes the line <c>CLOSE &lt;CODE&gt; &lt;reason&gt;</c>, e.g. <c>CLOSE GOING_AWAY server restarting</c>, so a
    /// person or script on the other end learns why the connection ends. Line breaks in the reason become spaces, and
    /// the reason is cut to <see cref="ProtocolConstants.MaxReasonBytes"/> UTF-8 bytes as in a CLOSE frame; an empty
    /// reason gives <c>CLOSE &lt;CODE&gt;</c>.
    /// </summary>
    public void WriteFarewell(CloseCode code, string reason, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(reason);
        ArgumentNullException.ThrowIfNull(output);
        var name = code.ToWireName();
        var reasonLength = WireWriter.Utf8Length(reason, ProtocolConstants.MaxReasonBytes);
        var total = "CLOSE ".Length + name.Length + (reasonLength == 0 ? 0 : 1 + reasonLength) + 1;
        var span = output.GetSpan(total);

        var position = 0;
        "CLOSE "u8.CopyTo(span);
        position += "CLOSE ".Length;

        // Wire names are ASCII, so one char is one byte.
        position += Encoding.ASCII.GetBytes(name, span[position..]);
        if (reasonLength > 0)
        {
            span[position++] = (byte)' ';
            var reasonBytes = span.Slice(position, reasonLength);

            // Stops at the last whole character that fits when the reason was capped, as Utf8Length measured.
            Utf8.FromUtf16(reason, reasonBytes, out _, out var written);
            reasonBytes.Replace(CarriageReturn, (byte)' ');
            reasonBytes.Replace(LineFeed, (byte)' ');
            position += written;
        }

        span[position++] = LineFeed;
        output.Advance(position);
    }

    private TetherProtocolException TooLong() =>
        new(CloseCode.FrameTooLarge, string.Create(CultureInfo.InvariantCulture, $"line longer than {MaxLineLength} bytes"));

    private static byte ByteAt(in ReadOnlySequence<byte> sequence, long index)
    {
        // CopyTo copes with any segment layout (including empty segments) without allocating.
        Span<byte> one = stackalloc byte[1];
        sequence.Slice(index, 1).CopyTo(one);
        return one[0];
    }
}
