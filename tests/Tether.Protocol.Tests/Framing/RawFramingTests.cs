using System.Buffers;
using Tether.Framing;
using Tether.Protocol.Tests.Support;

namespace Tether.Protocol.Tests.Framing;

public sealed class RawFramingTests
{
    private static readonly RawFraming Raw = RawFraming.Instance;

    [Fact]
    public void Settings_are_exposed()
    {
        Assert.Equal("raw", Raw.Name);
        Assert.Equal(4096, RawFraming.ReadSize);
        Assert.Equal(RawFraming.ReadSize, Raw.MaxFrameLength);
        Assert.Same(Raw, RawFraming.Instance);
    }

    [Fact]
    public void Empty_input_gives_no_message()
    {
        var input = ReadOnlySequence<byte>.Empty;

        Assert.False(Raw.TryRead(ref input, out _));
        Assert.True(input.IsEmpty);
    }

    [Fact]
    public void The_whole_input_is_one_message_whatever_it_contains()
    {
        byte[] bytes = [.. "line\r\n"u8, 0x00, 0x00, 0x00, 0x02, 0xFF, (byte)'\n'];
        var input = new ReadOnlySequence<byte>(bytes);

        Assert.True(Raw.TryRead(ref input, out var message));

        Assert.Equal(bytes, message.ToArray());
        Assert.True(input.IsEmpty);
        Assert.False(Raw.TryRead(ref input, out _));
    }

    [Fact]
    public void A_multi_segment_input_is_returned_whole_without_copying()
    {
        var input = Sequences.Segmented(["ab"u8.ToArray(), [], "cd"u8.ToArray(), "e"u8.ToArray()]);
        var original = input;

        Assert.True(Raw.TryRead(ref input, out var message));

        Assert.Equal("abcde"u8.ToArray(), message.ToArray());
        Assert.Equal(original.Start, message.Start);
        Assert.Equal(original.End, message.End);
        Assert.True(input.IsEmpty);
    }

    [Fact]
    public void Each_read_is_one_message()
    {
        byte[][] reads = ["one"u8.ToArray(), "two and"u8.ToArray(), "3"u8.ToArray()];

        Assert.Equal(FramingResult.Of(reads).ToString(), FramingDriver.Receive(Raw, reads).ToString());
        Assert.Equal(FramingResult.Of(reads).ToString(), FramingDriver.ReceiveSegmented(Raw, reads).ToString());
    }

    [Fact]
    public void Write_copies_the_bytes_as_they_are()
    {
        var output = new ArrayBufferWriter<byte>();

        Raw.Write("a\nb"u8, output);
        Raw.Write([], output);
        Raw.Write([0x00, 0xFF], output);

        Assert.Equal([.. "a\nb"u8, 0x00, 0xFF], output.WrittenSpan.ToArray());
    }

    [Fact]
    public void There_is_no_farewell()
    {
        IFraming framing = Raw;
        var output = new ArrayBufferWriter<byte>();

        framing.WriteFarewell(CloseCode.GoingAway, "bye", output);

        Assert.Equal(0, output.WrittenCount);
    }
}
