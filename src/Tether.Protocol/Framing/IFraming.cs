using System.Buffers;
using Tether.Protocol;

namespace Tether.Framing;

/// <summary>
/// Cuts a byte stream into messages and writes messages as bytes, for listeners whose peers do not speak the Tether
/// protocol (devices, legacy clients, tutorial socket programs). The transport moves bytes and knows nothing of
/// messages; a framing is the one piece that knows where a message ends. Tether ships <see cref="LineFraming"/>,
/// <see cref="LengthPrefixedFraming"/> and <see cref="RawFraming"/>; implement this interface to plug in your own, as a
/// Netty codec or a SuperSocket pipeline filter would. An instance is shared by every connection of a listener and is
/// called from many threads at once: keep it stateless (settings only).
/// </summary>
public interface IFraming
{
    /// <summary>A short name for logs, metrics and configuration, e.g. <c>lines</c>.</summary>
    string Name { get; }

    /// <summary>
    /// The most bytes one frame may occupy on the wire (header and terminator included). The runtime never buffers
    /// more than this for a frame that <see cref="TryRead"/> has not completed: past it the connection is closed with
    /// FRAME_TOO_LARGE, even if the framing did not object itself.
    /// </summary>
    int MaxFrameLength { get; }

    /// <summary>
    /// Cuts the next complete message off the front of <paramref name="input"/>: returns true with
    /// <paramref name="message"/> (a slice of the input, no copy) and <paramref name="input"/> advanced past the frame.
    /// Returns false, leaving <paramref name="input"/> unchanged, when more bytes are needed. Throws
    /// <see cref="TetherProtocolException"/> (code FRAME_TOO_LARGE or PROTOCOL_ERROR) as soon as the input can never
    /// become a valid frame, in particular one longer than <see cref="MaxFrameLength"/>, without buffering it first.
    /// </summary>
    bool TryRead(ref ReadOnlySequence<byte> input, out ReadOnlySequence<byte> message);

    /// <summary>
    /// Writes <paramref name="message"/> as one frame. Throws <see cref="ArgumentException"/>, before writing anything,
    /// when the message cannot be framed (too long for the header, a line containing a newline).
    /// </summary>
    void Write(ReadOnlySpan<byte> message, IBufferWriter<byte> output);

    /// <summary>
    /// Writes what the peer reads just before the server closes the connection with <paramref name="code"/>, if the
    /// framing has a way to say it (lines write <c>CLOSE &lt;CODE&gt; &lt;reason&gt;</c>). The default writes nothing: the
    /// peer only sees the connection end.
    /// </summary>
    void WriteFarewell(CloseCode code, string reason, IBufferWriter<byte> output)
    {
    }
}
