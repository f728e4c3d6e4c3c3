using System.Buffers;
using System.Buffers.Binary;
using Tether.Protocol.Tests.Support;

namespace Tether.Protocol.Tests;

/// <summary>Hostile and broken input: oversized headers, reserved values, truncation and random garbage.</summary>
public sealed class MalformedInputTests
{
    private static readonly int[] Limits = [ProtocolConstants.MinMaxFrameSize, Frames.HandshakeMax, Frames.DefaultMax, int.MaxValue];

    private static readonly byte[] FixedSizeTypes = [(byte)FrameType.Ack, (byte)FrameType.Ping, (byte)FrameType.Pong];

    [Theory]
    [InlineData(0x01)]
    [InlineData(0x02)]
    [InlineData(0x03)]
    [InlineData(0x07)]
    [InlineData(0x08)]
    [InlineData(0x40)]
    [InlineData(0x7F)]
    public void Header_announcing_4_GiB_is_rejected_from_the_header_alone(byte type)
    {
        foreach (var limit in Limits)
        {
            Assert.Equal(CloseCode.FrameTooLarge, HeaderError(Frames.Header(type, 0, uint.MaxValue), limit));
        }
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x04)]
    [InlineData(0x05)]
    [InlineData(0x06)]
    [InlineData(0x3F)]
    [InlineData(0xFF)]
    public void Header_announcing_4_GiB_that_also_breaks_another_rule_reports_either_rule(byte type)
    {
        // Spec 4.6: a header breaking several rules may report any one of them (here: reserved type or fixed size).
        foreach (var limit in Limits)
        {
            Assert.Contains(HeaderError(Frames.Header(type, 0, uint.MaxValue), limit), new[] { CloseCode.ProtocolError, CloseCode.FrameTooLarge });
        }
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(8192)]
    [InlineData(1_048_576)]
    public void Body_length_equal_to_the_limit_is_accepted_and_one_more_is_rejected(int limit)
    {
        var atLimit = new ReadOnlySequence<byte>(Frames.Header((byte)FrameType.Data, 0, (uint)limit));

        Assert.True(FrameHeader.TryRead(atLimit, limit, out var header));
        Assert.Equal(limit, header.BodyLength);
        var buffer = atLimit;
        Assert.False(TetherFrame.TryRead(ref buffer, limit, out _));
        Assert.Equal(CloseCode.FrameTooLarge, HeaderError(Frames.Header((byte)FrameType.Data, 0, (uint)limit + 1), limit));
    }

    [Fact]
    public void Body_lengths_with_the_top_bit_set_are_not_mistaken_for_negative_numbers()
    {
        Assert.Equal(CloseCode.FrameTooLarge, HeaderError(Frames.Header((byte)FrameType.Data, 0, 0x8000_0000), int.MaxValue));

        var largest = new ReadOnlySequence<byte>(Frames.Header((byte)FrameType.Data, 0, int.MaxValue));
        Assert.True(FrameHeader.TryRead(largest, int.MaxValue, out var header));
        Assert.Equal(int.MaxValue, header.BodyLength);
        var buffer = largest;
        Assert.False(TetherFrame.TryRead(ref buffer, int.MaxValue, out _));
    }

    [Fact]
    public void Rejecting_a_header_that_announces_1_GiB_allocates_almost_nothing()
    {
        var header = new ReadOnlySequence<byte>(Frames.Header((byte)FrameType.Data, 0, 1u << 30));
        CloseCode? code = null;
        long allocated = 0;

        // The first rounds warm up the JIT and the exception machinery; the last one is measured.
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                var buffer = header;
                TetherFrame.TryRead(ref buffer, Frames.DefaultMax, out _);
            }
            catch (TetherProtocolException ex)
            {
                code = ex.Code;
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.Equal(CloseCode.FrameTooLarge, code);
        Assert.True(allocated < 64 * 1024, $"rejecting the header allocated {allocated} bytes");
    }

    [Fact]
    public void Waiting_for_the_body_of_a_1_GiB_frame_allocates_almost_nothing()
    {
        // A receiver configured for huge frames: the header is valid, the decoder must wait without reserving the body.
        var header = new ReadOnlySequence<byte>([.. Frames.Header((byte)FrameType.Data, 0, 1u << 30), .. new byte[100]]);
        var complete = true;
        long allocated = 0;
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var buffer = header;
            complete = TetherFrame.TryRead(ref buffer, int.MaxValue, out _);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.False(complete);
        Assert.True(allocated < 64 * 1024, $"waiting for the body allocated {allocated} bytes");
    }

    [Fact]
    public void Every_reserved_type_is_rejected_from_the_header_with_protocol_error()
    {
        for (var type = 0; type <= 0xFF; type++)
        {
            if (type is (>= 0x01 and <= 0x08) or (>= 0x40 and <= 0x7F))
            {
                continue;
            }

            Assert.Equal(CloseCode.ProtocolError, HeaderError(Frames.Header((byte)type, 0, 0), Frames.DefaultMax));
        }
    }

    [Fact]
    public void Flags_are_checked_for_core_types_and_ignored_for_extension_types()
    {
        for (var type = 0x01; type <= 0x7F; type++)
        {
            if (type is > 0x08 and < 0x40)
            {
                continue;
            }

            var allowed = type switch
            {
                (byte)FrameType.Hello or (byte)FrameType.Welcome or (byte)FrameType.Data => 0x03,
                >= 0x40 => 0xFF,
                _ => 0x00,
            };
            var bodyLength = FixedSizeTypes.Contains((byte)type) ? 8u : 0u;
            for (var flags = 0; flags <= 0xFF; flags++)
            {
                var header = Frames.Header((byte)type, (byte)flags, bodyLength);
                if ((flags & ~allowed) == 0)
                {
                    Assert.True(FrameHeader.TryRead(new ReadOnlySequence<byte>(header), Frames.DefaultMax, out var read));
                    Assert.Equal(new FrameHeader((FrameType)type, (byte)flags, (int)bodyLength), read);
                }
                else
                {
                    Assert.Equal(CloseCode.ProtocolError, HeaderError(header, Frames.DefaultMax));
                }
            }
        }
    }

    [Fact]
    public void Ack_ping_and_pong_bodies_of_any_length_but_8_are_rejected_from_the_header()
    {
        foreach (var type in FixedSizeTypes)
        {
            for (uint length = 0; length <= 64; length++)
            {
                if (length == 8)
                {
                    continue;
                }

                Assert.Equal(CloseCode.ProtocolError, HeaderError(Frames.Header(type, 0, length), Frames.DefaultMax));
            }
        }
    }

    [Theory]
    [InlineData(DataFlags.Sequence, 8)]
    [InlineData(DataFlags.Ack, 8)]
    [InlineData(DataFlags.Sequence | DataFlags.Ack, 16)]
    public void Data_bodies_shorter_than_their_optional_fields_are_rejected(DataFlags flags, int minimum)
    {
        for (var length = 0; length < minimum; length++)
        {
            var frame = Frames.ReadSingle(Frames.Raw((byte)FrameType.Data, (byte)flags, new byte[length]), Frames.DefaultMax);
            Assert.Equal(CloseCode.ProtocolError, Assert.Throws<TetherProtocolException>(() => DataFrame.Parse(frame)).Code);
        }

        var exact = DataFrame.Parse(Frames.ReadSingle(Frames.Raw((byte)FrameType.Data, (byte)flags, new byte[minimum]), Frames.DefaultMax));
        Assert.True(exact.Payload.IsEmpty);
    }

    public static TheoryData<string> TruncatableSampleNames =>
    [
        .. Samples.All
            .Where(sample => sample.Bytes[0] is (byte)FrameType.Hello or (byte)FrameType.Welcome or (byte)FrameType.GoAway or (byte)FrameType.Close)
            .Where(sample => sample.BodyLength <= 10_000)
            .Select(sample => sample.Name),
    ];

    [Theory]
    [MemberData(nameof(TruncatableSampleNames))]
    public void Body_truncated_at_every_length_is_rejected_unless_it_ends_between_extension_items(string name)
    {
        var sample = Samples.Get(name);
        var type = sample.Bytes[0];
        var flags = sample.Bytes[1];
        var body = sample.Bytes.AsSpan(ProtocolConstants.HeaderSize).ToArray();
        var full = Frames.ReadSingle(sample.Bytes, sample.MaxBody);
        var fullText = FrameText.Describe(full);
        var items = ExtensionItems(full);
        var extensionStart = body.Length - items.Sum(item => item.EncodedLength);

        for (var length = 0; length < body.Length; length++)
        {
            var frame = Frames.ReadSingle(Frames.Raw(type, flags, body.AsSpan(0, length)), sample.MaxBody);
            var wholeItems = WholeItemsEndingAt(items, length - extensionStart);
            if (wholeItems is { } count)
            {
                // The body now ends right after an extension item: a shorter, well-formed frame with the first items.
                var expected = fullText.Select(line => line.StartsWith("extensions=", StringComparison.Ordinal)
                    ? "extensions=" + FrameText.Extensions(items.Take(count))
                    : line);
                Assert.Equal(expected, FrameText.Describe(frame));
                continue;
            }

            var error = Assert.Throws<TetherProtocolException>(() => Frames.ParseBody(frame));
            Assert.Equal(CloseCode.ProtocolError, error.Code);
        }
    }

    [Theory]
    [MemberData(nameof(TruncatableSampleNames))]
    public void Every_prefix_of_a_frame_waits_for_more_bytes(string name)
    {
        var sample = Samples.Get(name);
        for (var length = 0; length < sample.Bytes.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(sample.Bytes, 0, length);
            Assert.False(TetherFrame.TryRead(ref buffer, sample.MaxBody, out _), $"{length}-byte prefix");
            Assert.Equal(length, buffer.Length);
        }
    }

    [Fact]
    public void Random_garbage_only_ever_fails_with_a_protocol_exception()
    {
        var random = new Random(1_234_567);
        for (var i = 0; i < 4000; i++)
        {
            var input = new byte[random.Next(0, 80)];
            random.NextBytes(input);
            AssertDecodesSafely(input, random);
        }
    }

    [Fact]
    public void Random_bodies_behind_plausible_headers_only_ever_fail_with_a_protocol_exception()
    {
        var random = new Random(42);
        byte[] types = [1, 2, 3, 4, 5, 6, 7, 8, 0x40, 0x7F, 0x00, 0x09, 0x80];
        for (var i = 0; i < 6000; i++)
        {
            var type = types[random.Next(types.Length)];
            var flags = (byte)(random.Next(8) == 0 ? random.Next(256) : random.Next(4));
            var body = PlausibleBody(type, random);
            var input = Frames.Raw(type, flags, body);
            if (random.Next(4) == 0)
            {
                BinaryPrimitives.WriteUInt32BigEndian(input.AsSpan(2), (uint)Math.Max(0, body.Length + random.Next(-3, 4)));
            }

            AssertDecodesSafely(input, random);
        }
    }

    [Fact]
    public void Mutated_valid_frames_only_ever_fail_with_a_protocol_exception()
    {
        var random = new Random(99);
        var originals = Samples.All.Where(sample => sample.Bytes.Length <= 10_000).Select(sample => sample.Bytes)
            .Concat(ProtocolVectors.Valid.Select(vector => vector.Bytes))
            .ToArray();
        for (var i = 0; i < 8000; i++)
        {
            var input = Mutate(originals[random.Next(originals.Length)], originals[random.Next(originals.Length)], random);
            AssertDecodesSafely(input, random);
        }
    }

    /// <summary>
    /// Decodes <paramref name="input"/> at once and in random segments: the outcome must be the same, any failure a
    /// <see cref="TetherProtocolException"/> with one of the two decoding codes (checked inside <see cref="StreamDecoder"/>).
    /// </summary>
    private static void AssertDecodesSafely(byte[] input, Random random)
    {
        int[] limits = [64, ProtocolConstants.MinMaxFrameSize, Frames.HandshakeMax, Frames.DefaultMax];
        var limit = limits[random.Next(limits.Length)];
        var chunks = Sequences.RandomChunks(input, random, maxChunk: 1 + random.Next(16));
        DecodeResult whole;
        DecodeResult streamed;
        try
        {
            whole = StreamDecoder.DecodeAll(input, limit);
            streamed = StreamDecoder.DecodeStreaming(chunks, limit);
        }
        catch (Exception ex)
        {
            throw new Xunit.Sdk.XunitException($"input {Convert.ToHexStringLower(input)} (limit {limit}) threw {ex}");
        }

        Assert.True(whole.Error is null or CloseCode.ProtocolError or CloseCode.FrameTooLarge, $"unexpected code {whole.Error}");
        Assert.True(whole.ToString() == streamed.ToString(), $"input {Convert.ToHexStringLower(input)}: segmentation changed the outcome\n{whole}\n---\n{streamed}");
    }

    private static byte[] PlausibleBody(byte type, Random random)
    {
        var body = new byte[random.Next(0, 120)];
        for (var i = 0; i < body.Length; i++)
        {
            body[i] = random.Next(10) switch
            {
                < 5 => 0,
                < 7 => (byte)random.Next(1, 17),
                _ => (byte)random.Next(256),
            };
        }

        if (type == (byte)FrameType.Hello && body.Length >= 6 && random.Next(2) == 0)
        {
            "TTHR\u0001\u0001"u8.CopyTo(body);
        }

        return body;
    }

    private static byte[] Mutate(byte[] original, byte[] other, Random random)
    {
        var bytes = original.ToList();
        var edits = random.Next(1, 4);
        for (var edit = 0; edit < edits && bytes.Count > 0; edit++)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0:
                case 1:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.RemoveAt(at);
                    break;
                case 3:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default:
                    bytes.AddRange(other);
                    break;
            }
        }

        return [.. bytes];
    }

    private static IReadOnlyList<ExtensionItem> ExtensionItems(in TetherFrame frame) => frame.Type switch
    {
        FrameType.Hello => HelloFrame.Parse(frame).Extensions,
        FrameType.Welcome => WelcomeFrame.Parse(frame).Extensions,
        FrameType.GoAway => GoAwayFrame.Parse(frame).Extensions,
        _ => CloseFrame.Parse(frame).Extensions,
    };

    /// <summary>How many whole items fill exactly <paramref name="extensionBytes"/> bytes, or null if no count does.</summary>
    private static int? WholeItemsEndingAt(IReadOnlyList<ExtensionItem> items, int extensionBytes)
    {
        var end = 0;
        for (var count = 0; count <= items.Count; count++)
        {
            if (end == extensionBytes)
            {
                return count;
            }

            end += count < items.Count ? items[count].EncodedLength : 0;
        }

        return null;
    }

    private static CloseCode HeaderError(byte[] header, int limit)
    {
        var sequence = new ReadOnlySequence<byte>(header);
        var fromHeader = Assert.Throws<TetherProtocolException>(() => FrameHeader.TryRead(sequence, limit, out _));
        var fromFrame = Assert.Throws<TetherProtocolException>(() =>
        {
            var buffer = sequence;
            TetherFrame.TryRead(ref buffer, limit, out _);
        });
        Assert.Equal(fromHeader.Code, fromFrame.Code);
        return fromHeader.Code;
    }
}
