using System.Buffers;
using Tether.Framing;

namespace Tether.Fuzz.Engine;

/// <summary>A target whose decoder is an <see cref="IFraming"/>: the message is the framing's message, as bytes.</summary>
internal abstract class FramingTarget : FuzzTarget
{
    /// <param name="decoder">The framing under test; tests pass a broken one to show the checker catches it.</param>
    protected FramingTarget(IFraming decoder) => Decoder = decoder;

    protected IFraming Decoder { get; }

    public override long MaxPending => Decoder.MaxFrameLength;

    public override bool TryCut(ref ReadOnlySequence<byte> input, out byte[] message)
    {
        var read = Decoder.TryRead(ref input, out var slice);
        message = read ? slice.ToArray() : [];
        return read;
    }

    public override int Skim(ReadOnlySequence<byte> input)
    {
        var count = 0;
        try
        {
            while (Decoder.TryRead(ref input, out _))
            {
                count++;
            }
        }
        catch (Tether.Protocol.TetherProtocolException)
        {
            // The rejection is the end of this input, as it is of a connection.
        }

        return count;
    }
}
