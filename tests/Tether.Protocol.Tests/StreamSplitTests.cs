using Tether.Protocol.Tests.Support;

namespace Tether.Protocol.Tests;

/// <summary>Spec 3: a frame may be split across any number of reads. Decoding must not depend on where the cuts fall.</summary>
public sealed class StreamSplitTests
{
    private const int MaxBody = Frames.DefaultMax;

    /// <summary>Several different frames back to back: one of each type, several DATA layouts, and an extension frame.</summary>
    private static readonly string[] StreamSampleNames =
    [
        "hello-session-unicode-client-id",
        "welcome-new-session",
        "data-empty",
        "data-unicode",
        "data-seq-ack-max",
        "data-ack-only",
        "ack-1",
        "ping-72623859790382856",
        "pong-18446744073709551615",
        "extension-0x7f-all-flags",
        "goaway-alternate-endpoints",
        "data-seq-empty",
        "close-max-retry-unicode-extensions",
    ];

    private static readonly byte[] Stream = [.. StreamSampleNames.SelectMany(name => Samples.Get(name).Bytes)];

    private static readonly string ExpectedText = new DecodeResult(
        [.. StreamSampleNames.Select(name => string.Join(" ", Samples.Get(name).Expected))], 0, null).ToString();

    [Fact]
    public void Contiguous_stream_decodes_to_every_frame_in_order()
    {
        Assert.Equal(ExpectedText, StreamDecoder.DecodeAll(Stream, MaxBody).ToString());
    }

    [Fact]
    public void Two_segments_decode_the_same_at_every_split_point()
    {
        for (var cut = 0; cut <= Stream.Length; cut++)
        {
            var chunks = Sequences.SplitAt(Stream, cut);
            AssertDecodes(StreamDecoder.DecodeAll(Sequences.Segmented(chunks), MaxBody), $"one sequence cut at {cut}");
            AssertDecodes(StreamDecoder.DecodeStreaming(chunks, MaxBody), $"two reads cut at {cut}");
        }
    }

    [Fact]
    public void One_byte_per_segment_decodes_the_same()
    {
        var chunks = Sequences.FixedChunks(Stream, 1);

        AssertDecodes(StreamDecoder.DecodeAll(Sequences.Segmented(chunks), MaxBody), "one sequence of 1-byte segments");
        AssertDecodes(StreamDecoder.DecodeStreaming(chunks, MaxBody), "1-byte reads");
    }

    [Fact]
    public void Random_segments_including_empty_ones_decode_the_same()
    {
        var random = new Random(20_240_601);
        for (var round = 0; round < 300; round++)
        {
            var chunks = Sequences.RandomChunks(Stream, random, maxChunk: 1 + (round % 40));
            AssertDecodes(StreamDecoder.DecodeAll(Sequences.Segmented(chunks), MaxBody), $"round {round}, one sequence");
            AssertDecodes(StreamDecoder.DecodeStreaming(chunks, MaxBody), $"round {round}, streaming");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Header_straddling_two_segments_is_read_whole(int cut)
    {
        var bytes = Samples.Get("data-seq-ack-max").Bytes;
        var sequence = Sequences.Segmented(Sequences.SplitAt(bytes, cut));

        Assert.True(FrameHeader.TryRead(sequence, MaxBody, out var header));

        Assert.Equal(new FrameHeader(FrameType.Data, 0x03, bytes.Length - ProtocolConstants.HeaderSize), header);
        Assert.Equal(Samples.Get("data-seq-ack-max").Expected, FrameText.Describe(Frames.ReadSingle(sequence, MaxBody)));
    }

    [Fact]
    public void Header_spread_over_six_segments_with_empty_segments_between_is_read_whole()
    {
        var sample = Samples.Get("hello-resume-max-values");
        var sequence = Sequences.Segmented(Sequences.SplitAt(sample.Bytes, 0, 1, 1, 2, 3, 3, 4, 5, 6, 6));

        Assert.True(FrameHeader.TryRead(sequence, Frames.HandshakeMax, out var header));

        Assert.Equal(new FrameHeader(FrameType.Hello, 0x03, sample.BodyLength), header);
        Assert.Equal(sample.Expected, FrameText.Describe(Frames.ReadSingle(sequence, Frames.HandshakeMax)));
    }

    [Fact]
    public void Header_is_not_read_from_fewer_than_six_bytes_in_any_segmentation()
    {
        var header = Samples.Get("ping-1").Bytes[..ProtocolConstants.HeaderSize];
        for (var length = 0; length < ProtocolConstants.HeaderSize; length++)
        {
            var partial = Sequences.Segmented(Sequences.FixedChunks(header[..length], 1));
            Assert.False(FrameHeader.TryRead(partial, MaxBody, out _));
            var buffer = partial;
            Assert.False(TetherFrame.TryRead(ref buffer, MaxBody, out _));
            Assert.Equal(partial.Start, buffer.Start);
            Assert.Equal(partial.End, buffer.End);
        }
    }

    [Fact]
    public void Megabyte_frame_in_random_segments_decodes_intact()
    {
        var sample = Samples.Get("data-body-exactly-1mib-seq-ack");
        var random = new Random(7);
        for (var round = 0; round < 4; round++)
        {
            var chunks = Sequences.RandomChunks(sample.Bytes, random, maxChunk: 70_000);
            Assert.Equal(string.Join(" ", sample.Expected), StreamDecoder.DecodeStreaming(chunks, MaxBody).Frames.Single());
        }
    }

    [Fact]
    public void Strings_split_inside_a_multibyte_character_decode_intact()
    {
        // Cut the sample at every byte, so some cut falls inside every multi-byte UTF-8 sequence of the client id.
        var sample = Samples.Get("hello-client-id-256-bytes-of-emoji");
        for (var cut = 1; cut < sample.Bytes.Length; cut++)
        {
            var frame = Frames.ReadSingle(Sequences.Segmented(Sequences.SplitAt(sample.Bytes, cut)), sample.MaxBody);
            Assert.Equal(sample.Expected, FrameText.Describe(frame));
        }
    }

    [Fact]
    public void Invalid_utf8_split_across_segments_is_still_rejected()
    {
        var vector = ProtocolVectors.GetInvalid("hello-invalid-utf8-client-id");
        var clientIdStart = vector.Bytes.Length - 4;
        for (var cut = clientIdStart - 1; cut <= clientIdStart + 2; cut++)
        {
            var frame = Frames.ReadSingle(Sequences.Segmented(Sequences.SplitAt(vector.Bytes, cut)), vector.MaxFrameSize);
            var error = Assert.Throws<TetherProtocolException>(() => HelloFrame.Parse(frame));
            Assert.Equal(CloseCode.ProtocolError, error.Code);
        }
    }

    private static void AssertDecodes(DecodeResult result, string how) =>
        Assert.True(ExpectedText == result.ToString(), $"{how}: decoded\n{result}\nexpected\n{ExpectedText}");
}
