using System.Buffers;

namespace Tether.Framing;

/// <summary>
/// Cuts a byte stream into frames and writes messages as frames. The transport moves bytes and knows nothing of
/// frames; a framing is the one piece that knows where a frame ends. The Tether protocol's codec is one implementation
/// (<see cref="TetherFraming"/>); plain framings for devices that cannot speak the protocol plug in at the same place.
/// </summary>
public interface IFraming
{
    /// <summary>A short name for logs and configuration, e.g. <c>tether</c> or <c>lines</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Cuts the next complete frame off the front of <paramref name="input"/> and returns it (a slice of the input, no
    /// copy). Returns false, leaving <paramref name="input"/> unchanged, when more bytes are needed. Throws
    /// <see cref="Protocol.TetherProtocolException"/> as soon as the input can never become a valid frame, in
    /// particular one longer than <paramref name="maxFrameLength"/>, before any byte of it is buffered or allocated.
    /// </summary>
    bool TryReadFrame(ref ReadOnlySequence<byte> input, int maxFrameLength, out ReadOnlySequence<byte> frame);

    /// <summary>Writes <paramref name="message"/> as one frame.</summary>
    void WriteMessage(ReadOnlySpan<byte> message, IBufferWriter<byte> output);
}
