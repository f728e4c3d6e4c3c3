using System.Buffers;
using Tether.Framing;

namespace Tether.Protocol.Tests;

public sealed class TetherFramingTests
{
    [Fact]
    public void A_written_message_reads_back_as_one_whole_data_frame()
    {
        var framing = Use(TetherFraming.Instance);
        var output = new ArrayBufferWriter<byte>();
        framing.WriteMessage("one"u8, output);
        framing.WriteMessage("two!"u8, output);
        var input = new ReadOnlySequence<byte>(output.WrittenMemory);

        Assert.True(framing.TryReadFrame(ref input, 1024, out var first));
        Assert.True(framing.TryReadFrame(ref input, 1024, out var second));
        Assert.False(framing.TryReadFrame(ref input, 1024, out _));

        Assert.Equal(ProtocolConstants.HeaderSize + 3, first.Length);
        Assert.Equal("two!"u8.ToArray(), DataFrame.Parse(TetherFrame.Parse(second)).Payload.ToArray());
        Assert.Equal("tether", framing.Name);
    }

    // Through the interface, as the runtime sees any framing.
    private static IFraming Use(IFraming framing) => framing;

    [Fact]
    public void An_incomplete_frame_leaves_the_input_untouched()
    {
        var output = new ArrayBufferWriter<byte>();
        TetherFraming.Instance.WriteMessage("partial"u8, output);
        var input = new ReadOnlySequence<byte>(output.WrittenMemory[..^1]);

        Assert.False(TetherFraming.Instance.TryReadFrame(ref input, 1024, out _));
        Assert.Equal(output.WrittenCount - 1, input.Length);
    }

    [Fact]
    public void A_frame_over_the_limit_is_refused_from_its_header()
    {
        var header = new byte[ProtocolConstants.HeaderSize];
        new FrameHeader(FrameType.Data, 0, 2048).Write(header);
        var input = new ReadOnlySequence<byte>(header);

        var error = Assert.Throws<TetherProtocolException>(() => TetherFraming.Instance.TryReadFrame(ref input, 1024, out _));

        Assert.Equal(CloseCode.FrameTooLarge, error.Code);
    }
}
