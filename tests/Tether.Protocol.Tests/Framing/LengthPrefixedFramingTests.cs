using System.Buffers;
using Tether.Framing;
using Tether.Protocol.Tests.Support;

namespace Tether.Protocol.Tests.Framing;

public sealed class LengthPrefixedFramingTests
{
    private static readonly LengthPrefixedFraming U16 = new(LengthPrefix.UInt16);
    private static readonly LengthPrefixedFraming U32 = new();

    private static readonly byte[][] Messages =
    [
        "hello"u8.ToArray(),
        [],
        [(byte)'\n', (byte)'\r', 0x00, 0xFF],
        Enumerable.Range(0, 300).Select(i => (byte)i).ToArray(),
        [],
        "last"u8.ToArray(),
    ];

    public static TheoryData<LengthPrefix> Prefixes => [LengthPrefix.UInt16, LengthPrefix.UInt32];

    [Fact]
    public void Defaults_follow_the_prefix()
    {
        Assert.Equal("length-prefixed", U32.Name);
        Assert.Equal(LengthPrefix.UInt32, U32.Prefix);
        Assert.Equal(1024 * 1024, U32.MaxMessageLength);
        Assert.Equal(ProtocolConstants.DefaultMaxFrameSize, U32.MaxMessageLength);
        Assert.Equal(4 + (1024 * 1024), U32.MaxFrameLength);

        Assert.Equal(LengthPrefix.UInt16, U16.Prefix);
        Assert.Equal(65535, U16.MaxMessageLength);
        Assert.Equal(65537, U16.MaxFrameLength);

        Assert.Equal(2, (int)LengthPrefix.UInt16);
        Assert.Equal(4, (int)LengthPrefix.UInt32);
    }

    [Theory]
    [InlineData(LengthPrefix.UInt16, 0)]
    [InlineData(LengthPrefix.UInt16, 65535)]
    [InlineData(LengthPrefix.UInt32, 0)]
    [InlineData(LengthPrefix.UInt32, int.MaxValue - 4)]
    public void Maximums_at_the_edges_are_accepted(LengthPrefix prefix, int max)
    {
        var framing = new LengthPrefixedFraming(prefix, max);

        Assert.Equal(max, framing.MaxMessageLength);
        Assert.Equal((int)prefix + max, framing.MaxFrameLength);
    }

    [Theory]
    [InlineData(LengthPrefix.UInt16, -1)]
    [InlineData(LengthPrefix.UInt16, 65536)]
    [InlineData(LengthPrefix.UInt32, -1)]
    [InlineData(LengthPrefix.UInt32, int.MaxValue - 3)]
    [InlineData(LengthPrefix.UInt32, int.MaxValue)]
    [InlineData((LengthPrefix)3, 10)]
    [InlineData((LengthPrefix)0, null)]
    public void Invalid_settings_are_rejected(LengthPrefix prefix, int? max)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LengthPrefixedFraming(prefix, max));
    }

    [Fact]
    public void A_u16_header_is_the_big_endian_payload_length()
    {
        var output = new ArrayBufferWriter<byte>();
        U16.Write("abc"u8, output);
        U16.Write(new byte[0x0102], output);

        var written = output.WrittenSpan;
        Assert.Equal([0x00, 0x03, (byte)'a', (byte)'b', (byte)'c'], written[..5].ToArray());
        Assert.Equal([0x01, 0x02], written.Slice(5, 2).ToArray());
        Assert.Equal(5 + 2 + 0x0102, written.Length);
    }

    [Fact]
    public void A_u32_header_is_the_big_endian_payload_length()
    {
        var output = new ArrayBufferWriter<byte>();
        U32.Write("abc"u8, output);
        U32.Write(new byte[0x010203], output);

        var written = output.WrittenSpan;
        Assert.Equal([0x00, 0x00, 0x00, 0x03, (byte)'a', (byte)'b', (byte)'c'], written[..7].ToArray());
        Assert.Equal([0x00, 0x01, 0x02, 0x03], written.Slice(7, 4).ToArray());
        Assert.Equal(7 + 4 + 0x010203, written.Length);
    }

    [Fact]
    public void A_u16_header_is_read_big_endian()
    {
        byte[] bytes = [0x01, 0x00, .. Enumerable.Repeat((byte)7, 256), 0x00, 0x01, 0x2A];

        var result = FramingDriver.ReadAll(U16, bytes);

        Assert.Equal(FramingResult.Of([Enumerable.Repeat((byte)7, 256).ToArray(), [0x2A]]).ToString(), result.ToString());
    }

    [Fact]
    public void A_u32_header_is_read_big_endian()
    {
        byte[] bytes = [0x00, 0x00, 0x01, 0x02, .. Enumerable.Repeat((byte)9, 0x0102), 0x00, 0x00, 0x00, 0x01, 0x2A];

        var result = FramingDriver.ReadAll(U32, bytes);

        Assert.Equal(FramingResult.Of([Enumerable.Repeat((byte)9, 0x0102).ToArray(), [0x2A]]).ToString(), result.ToString());
    }

    [Theory]
    [MemberData(nameof(Prefixes))]
    public void Zero_length_messages_are_valid(LengthPrefix prefix)
    {
        var framing = new LengthPrefixedFraming(prefix);
        var input = new ReadOnlySequence<byte>(new byte[(int)prefix]);

        Assert.True(framing.TryRead(ref input, out var message));

        Assert.True(message.IsEmpty);
        Assert.True(input.IsEmpty);
    }

    [Theory]
    [MemberData(nameof(Prefixes))]
    public void Messages_round_trip(LengthPrefix prefix)
    {
        var framing = new LengthPrefixedFraming(prefix);
        var stream = FramingDriver.Encode(framing, Messages);

        Assert.Equal(FramingResult.Of(Messages).ToString(), FramingDriver.ReadAll(framing, stream).ToString());
    }

    [Theory]
    [MemberData(nameof(Prefixes))]
    public void A_stream_split_at_every_point_decodes_the_same(LengthPrefix prefix)
    {
        var framing = new LengthPrefixedFraming(prefix);
        var stream = FramingDriver.Encode(framing, Messages);
        var expected = FramingResult.Of(Messages).ToString();

        for (var cut = 0; cut <= stream.Length; cut++)
        {
            var chunks = Sequences.SplitAt(stream, cut);
            Assert.Equal(expected, FramingDriver.Receive(framing, chunks).ToString());
            Assert.Equal(expected, FramingDriver.ReceiveSegmented(framing, chunks).ToString());
            Assert.Equal(expected, FramingDriver.ReadAll(framing, Sequences.Segmented(chunks)).ToString());
        }
    }

    [Theory]
    [MemberData(nameof(Prefixes))]
    public void A_stream_fed_one_byte_at_a_time_decodes_the_same(LengthPrefix prefix)
    {
        var framing = new LengthPrefixedFraming(prefix);
        var chunks = Sequences.FixedChunks(FramingDriver.Encode(framing, Messages), 1);
        var expected = FramingResult.Of(Messages).ToString();

        Assert.Equal(expected, FramingDriver.Receive(framing, chunks).ToString());
        Assert.Equal(expected, FramingDriver.ReceiveSegmented(framing, chunks).ToString());
        Assert.Equal(expected, FramingDriver.ReadAll(framing, Sequences.Segmented(chunks)).ToString());
    }

    [Theory]
    [MemberData(nameof(Prefixes))]
    public void Multi_segment_input_with_empty_segments_decodes_the_same(LengthPrefix prefix)
    {
        var framing = new LengthPrefixedFraming(prefix);
        var stream = FramingDriver.Encode(framing, Messages);
        var random = new Random(5);
        var expected = FramingResult.Of(Messages).ToString();

        for (var round = 0; round < 200; round++)
        {
            var chunks = Sequences.RandomChunks(stream, random, maxChunk: 1 + (round % 12));
            Assert.Equal(expected, FramingDriver.ReadAll(framing, Sequences.Segmented(chunks)).ToString());
        }
    }

    [Fact]
    public void Several_messages_in_one_buffer_are_read_one_per_call()
    {
        var input = new ReadOnlySequence<byte>([0x00, 0x01, 0x41, 0x00, 0x02, 0x42, 0x43, 0x00, 0x05, 0x44]);

        Assert.True(U16.TryRead(ref input, out var first));
        Assert.Equal([0x41], first.ToArray());
        Assert.True(U16.TryRead(ref input, out var second));
        Assert.Equal([0x42, 0x43], second.ToArray());
        Assert.False(U16.TryRead(ref input, out _));
        Assert.Equal([0x00, 0x05, 0x44], input.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 0x00 })]
    [InlineData(new byte[] { 0x00, 0x00, 0x00 })]
    [InlineData(new byte[] { 0x00, 0x00, 0x00, 0x02, 0x01 })]
    public void An_incomplete_frame_waits_and_leaves_the_input_alone(byte[] bytes)
    {
        var input = new ReadOnlySequence<byte>(bytes);
        var before = input;

        Assert.False(U32.TryRead(ref input, out _));
        Assert.Equal(before, input);
    }

    [Theory]
    [InlineData(LengthPrefix.UInt16, new byte[] { 0x00, 0x0B })]
    [InlineData(LengthPrefix.UInt16, new byte[] { 0xFF, 0xFF })]
    [InlineData(LengthPrefix.UInt32, new byte[] { 0x00, 0x00, 0x00, 0x0B })]
    [InlineData(LengthPrefix.UInt32, new byte[] { 0x80, 0x00, 0x00, 0x00 })]
    [InlineData(LengthPrefix.UInt32, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF })]
    public void An_oversize_header_is_rejected_before_any_payload_arrives(LengthPrefix prefix, byte[] header)
    {
        var framing = new LengthPrefixedFraming(prefix, 10);
        var input = new ReadOnlySequence<byte>(header);

        var error = Assert.Throws<TetherProtocolException>(() => framing.TryRead(ref input, out _));

        Assert.Equal(CloseCode.FrameTooLarge, error.Code);
    }

    [Fact]
    public void An_oversize_header_fed_one_byte_at_a_time_is_rejected_when_the_header_is_complete()
    {
        var framing = new LengthPrefixedFraming(LengthPrefix.UInt32, 10);
        byte[] bytes = [0x00, 0x00, 0x00, 0x0B, .. new byte[11]];

        var (buffered, error) = FramingDriver.FeedBytewise(framing, bytes);

        Assert.Equal(CloseCode.FrameTooLarge, error);
        Assert.Equal(4, buffered);
    }

    [Fact]
    public void A_message_of_exactly_the_maximum_is_accepted()
    {
        var framing = new LengthPrefixedFraming(LengthPrefix.UInt16, 10);
        byte[] payload = [.. Enumerable.Range(1, 10).Select(i => (byte)i)];

        var result = FramingDriver.ReadAll(framing, [0x00, 0x0A, .. payload]);

        Assert.Equal(FramingResult.Of([payload]).ToString(), result.ToString());
    }

    [Fact]
    public void A_maximum_of_zero_accepts_only_empty_messages()
    {
        var framing = new LengthPrefixedFraming(LengthPrefix.UInt16, 0);

        var result = FramingDriver.ReadAll(framing, [0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x2A]);

        Assert.Equal(FramingResult.Of([[], []], leftover: 3, CloseCode.FrameTooLarge).ToString(), result.ToString());
    }

    [Fact]
    public void A_u16_message_longer_than_the_prefix_can_express_is_rejected_and_nothing_is_written()
    {
        var output = new ArrayBufferWriter<byte>();

        Assert.Throws<ArgumentException>(() => U16.Write(new byte[65536], output));

        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void The_longest_u16_message_is_written()
    {
        var output = new ArrayBufferWriter<byte>();

        U16.Write(new byte[65535], output);

        Assert.Equal([0xFF, 0xFF], output.WrittenSpan[..2].ToArray());
        Assert.Equal(65537, output.WrittenCount);
    }

    [Fact]
    public void The_maximum_limits_reading_not_writing()
    {
        var framing = new LengthPrefixedFraming(LengthPrefix.UInt16, 4);
        var output = new ArrayBufferWriter<byte>();

        framing.Write(new byte[10], output);

        Assert.Equal([0x00, 0x0A], output.WrittenSpan[..2].ToArray());
        Assert.Equal(12, output.WrittenCount);
    }

    [Fact]
    public void There_is_no_farewell()
    {
        IFraming framing = U32;
        var output = new ArrayBufferWriter<byte>();

        framing.WriteFarewell(CloseCode.GoingAway, "bye", output);

        Assert.Equal(0, output.WrittenCount);
    }
}
