using System.Buffers;
using Tether.Protocol;

namespace Tether.Framing;

/// <summary>
/// The framing of the Tether protocol v1: a frame is a validated 6-byte header plus its body (the whole frame is
/// returned; <see cref="TetherFrame.Parse"/> gives the typed view, and <see cref="TetherFrame.TryRead"/> cuts and
/// types in one step, which is what the runtime's hot path uses), and a message is written as a DATA frame.
/// <c>maxFrameLength</c> limits the body, as the protocol's maximum frame size does.
/// </summary>
public sealed class TetherFraming : IFraming
{
    /// <summary>The shared instance (the framing holds no state).</summary>
    public static TetherFraming Instance { get; } = new();

    /// <inheritdoc/>
    public string Name => "tether";

    /// <inheritdoc/>
    public bool TryReadFrame(ref ReadOnlySequence<byte> input, int maxFrameLength, out ReadOnlySequence<byte> frame)
    {
        var start = input;
        if (!TetherFrame.TryRead(ref input, maxFrameLength, out var parsed))
        {
            frame = default;
            return false;
        }

        frame = start.Slice(0, parsed.EncodedLength);
        return true;
    }

    /// <inheritdoc/>
    public void WriteMessage(ReadOnlySpan<byte> message, IBufferWriter<byte> output) => FrameWriter.WriteData(output, message);
}
