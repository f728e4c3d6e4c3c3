using System.Buffers;
using Tether.Protocol.Tests.Support;

namespace Tether.Protocol.Tests.Framing;

/// <summary>The custom framing example works with the same receive loop as the built-in ones.</summary>
public sealed class StxEtxFramingTests
{
    private static readonly StxEtxFraming Framing = new(maxPayloadLength: 8);

    private static readonly byte[][] Messages = ["temp=21"u8.ToArray(), [], "rh=40%"u8.ToArray()];

    [Fact]
    public void Messages_are_wrapped_in_stx_and_etx()
    {
        var output = new ArrayBufferWriter<byte>();

        Framing.Write("ok"u8, output);

        Assert.Equal([0x02, (byte)'o', (byte)'k', 0x03], output.WrittenSpan.ToArray());
    }

    [Fact]
    public void A_stream_split_at_every_point_decodes_the_same()
    {
        var stream = FramingDriver.Encode(Framing, Messages);
        var expected = FramingResult.Of(Messages).ToString();

        Assert.Equal(expected, FramingDriver.ReadAll(Framing, stream).ToString());
        for (var cut = 0; cut <= stream.Length; cut++)
        {
            Assert.Equal(expected, FramingDriver.Receive(Framing, Sequences.SplitAt(stream, cut)).ToString());
            Assert.Equal(expected, FramingDriver.ReceiveSegmented(Framing, Sequences.SplitAt(stream, cut)).ToString());
        }
    }

    [Fact]
    public void Bytes_outside_a_frame_are_a_protocol_error()
    {
        var result = FramingDriver.ReadAll(Framing, [0x02, 0x41, 0x03, 0x41, 0x02]);

        Assert.Equal(FramingResult.Of([[0x41]], leftover: 2, CloseCode.ProtocolError).ToString(), result.ToString());
    }

    [Fact]
    public void A_frame_without_etx_within_the_maximum_is_too_large()
    {
        var (buffered, error) = FramingDriver.FeedBytewise(Framing, [0x02, .. new byte[20]]);

        Assert.Equal(CloseCode.FrameTooLarge, error);
        Assert.Equal(10, buffered);
    }

    [Fact]
    public void A_payload_containing_etx_cannot_be_written()
    {
        var output = new ArrayBufferWriter<byte>();

        Assert.Throws<ArgumentException>(() => Framing.Write([0x41, 0x03], output));

        Assert.Equal(0, output.WrittenCount);
    }
}
