using System.Buffers;
using System.Globalization;
using Tether.Framing;

namespace Tether.Protocol.Tests.Framing;

/// <summary>
/// An example of a custom framing, as found on serial-to-TCP devices: STX (0x02), the payload, ETX (0x03). The payload
/// cannot contain ETX. Anything other than STX where a frame should start is a protocol error.
/// </summary>
internal sealed class StxEtxFraming : IFraming
{
    private const byte Stx = 0x02;
    private const byte Etx = 0x03;

    public StxEtxFraming(int maxPayloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxPayloadLength);
        MaxPayloadLength = maxPayloadLength;
    }

    public string Name => "stx-etx";

    public int MaxPayloadLength { get; }

    public int MaxFrameLength => MaxPayloadLength + 2;

    public bool TryRead(ref ReadOnlySequence<byte> input, out ReadOnlySequence<byte> message)
    {
        message = default;
        var reader = new SequenceReader<byte>(input);
        if (!reader.TryRead(out var first))
        {
            return false;
        }

        if (first != Stx)
        {
            throw new TetherProtocolException(
                string.Create(CultureInfo.InvariantCulture, $"expected STX, got 0x{first:X2}"));
        }

        // Look no further than the longest legal payload and its ETX, so garbage without an ETX is refused early.
        var window = reader.UnreadSequence;
        if (window.Length > MaxPayloadLength + 1)
        {
            window = window.Slice(0, MaxPayloadLength + 1);
        }

        var end = window.PositionOf(Etx);
        if (end is null)
        {
            if (window.Length > MaxPayloadLength)
            {
                throw new TetherProtocolException(CloseCode.FrameTooLarge, "frame without ETX within the maximum");
            }

            return false;
        }

        message = window.Slice(0, end.Value);
        input = input.Slice(window.GetPosition(1, end.Value));
        return true;
    }

    public void Write(ReadOnlySpan<byte> message, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (message.Contains(Etx))
        {
            throw new ArgumentException("the payload cannot contain ETX (0x03)", nameof(message));
        }

        output.GetSpan(1)[0] = Stx;
        output.Advance(1);
        output.Write(message);
        output.GetSpan(1)[0] = Etx;
        output.Advance(1);
    }
}
