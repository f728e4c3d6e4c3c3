using System.Buffers;
using System.Text;
using Tether.Framing;
using Tether.Protocol.Tests.Support;

namespace Tether.Protocol.Tests.Framing;

public sealed class LineFramingTests
{
    private static readonly LineFraming Lines = new();

    private static readonly byte[][] Messages =
    [
        "hello"u8.ToArray(),
        [],
        "with\rcarriage return inside"u8.ToArray(),
        [0x00, 0xFF, 0xC3, 0x28, 0x80],
        "last"u8.ToArray(),
    ];

    private static readonly byte[] Stream = FramingDriver.Encode(Lines, Messages);

    [Fact]
    public void Settings_are_exposed()
    {
        Assert.Equal("lines", Lines.Name);
        Assert.Equal(LineFraming.DefaultMaxLineLength, Lines.MaxLineLength);
        Assert.Equal(8192, LineFraming.DefaultMaxLineLength);
        Assert.Equal(8194, Lines.MaxFrameLength);
        Assert.Equal(12, new LineFraming(10).MaxFrameLength);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MaxValue - 1)]
    public void Invalid_max_line_length_is_rejected(int max)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LineFraming(max));
    }

    [Fact]
    public void Write_appends_a_line_feed()
    {
        var output = new ArrayBufferWriter<byte>();
        Lines.Write("abc"u8, output);
        Lines.Write([], output);

        Assert.Equal("abc\n\n"u8.ToArray(), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Messages_round_trip()
    {
        Assert.Equal(FramingResult.Of(Messages).ToString(), FramingDriver.ReadAll(Lines, Stream).ToString());
    }

    [Fact]
    public void Lf_crlf_and_mixed_endings_all_end_a_line()
    {
        var input = "lf\ncrlf\r\n\r\n\nmixed\r\nend"u8.ToArray();

        var result = FramingDriver.ReadAll(Lines, input);

        var expected = FramingResult.Of(["lf"u8.ToArray(), "crlf"u8.ToArray(), [], [], "mixed"u8.ToArray()], leftover: 3);
        Assert.Equal(expected.ToString(), result.ToString());
    }

    [Fact]
    public void Only_one_trailing_carriage_return_is_stripped()
    {
        var result = FramingDriver.ReadAll(Lines, "a\r\r\n\r\r\n"u8.ToArray());

        Assert.Equal(FramingResult.Of(["a\r"u8.ToArray(), "\r"u8.ToArray()]).ToString(), result.ToString());
    }

    [Fact]
    public void A_line_without_its_ending_waits_and_leaves_the_input_alone()
    {
        var input = new ReadOnlySequence<byte>("partial\r"u8.ToArray());
        var before = input;

        Assert.False(Lines.TryRead(ref input, out _));
        Assert.Equal(before, input);
    }

    [Fact]
    public void Several_messages_in_one_buffer_are_read_one_per_call()
    {
        var input = new ReadOnlySequence<byte>("one\ntwo\r\nthree"u8.ToArray());

        Assert.True(Lines.TryRead(ref input, out var first));
        Assert.Equal("one"u8.ToArray(), first.ToArray());
        Assert.True(Lines.TryRead(ref input, out var second));
        Assert.Equal("two"u8.ToArray(), second.ToArray());
        Assert.False(Lines.TryRead(ref input, out _));
        Assert.Equal("three"u8.ToArray(), input.ToArray());
    }

    [Fact]
    public void Bytes_are_passed_through_undecoded()
    {
        byte[] invalidUtf8 = [0xFF, 0xFE, 0xC0, 0x80, 0xED, 0xA0, 0x80, (byte)'\n'];

        var input = new ReadOnlySequence<byte>(invalidUtf8);
        Assert.True(Lines.TryRead(ref input, out var message));

        Assert.Equal(invalidUtf8[..^1], message.ToArray());
    }

    [Fact]
    public void A_stream_split_at_every_point_decodes_the_same()
    {
        var expected = FramingResult.Of(Messages).ToString();
        for (var cut = 0; cut <= Stream.Length; cut++)
        {
            var chunks = Sequences.SplitAt(Stream, cut);
            Assert.Equal(expected, FramingDriver.Receive(Lines, chunks).ToString());
            Assert.Equal(expected, FramingDriver.ReceiveSegmented(Lines, chunks).ToString());
            Assert.Equal(expected, FramingDriver.ReadAll(Lines, Sequences.Segmented(chunks)).ToString());
        }
    }

    [Fact]
    public void A_stream_fed_one_byte_at_a_time_decodes_the_same()
    {
        var chunks = Sequences.FixedChunks(Stream, 1);
        var expected = FramingResult.Of(Messages).ToString();

        Assert.Equal(expected, FramingDriver.Receive(Lines, chunks).ToString());
        Assert.Equal(expected, FramingDriver.ReceiveSegmented(Lines, chunks).ToString());
        Assert.Equal(expected, FramingDriver.ReadAll(Lines, Sequences.Segmented(chunks)).ToString());
    }

    [Fact]
    public void Multi_segment_input_with_empty_segments_decodes_the_same()
    {
        var random = new Random(7);
        var expected = FramingResult.Of(Messages).ToString();
        for (var round = 0; round < 200; round++)
        {
            var chunks = Sequences.RandomChunks(Stream, random, maxChunk: 1 + (round % 12));
            Assert.Equal(expected, FramingDriver.ReadAll(Lines, Sequences.Segmented(chunks)).ToString());
        }
    }

    [Fact]
    public void A_crlf_ending_split_between_segments_is_one_ending()
    {
        var input = Sequences.Segmented(["line\r"u8.ToArray(), [], "\nnext"u8.ToArray()]);

        Assert.True(Lines.TryRead(ref input, out var message));
        Assert.Equal("line"u8.ToArray(), message.ToArray());
        Assert.Equal("next"u8.ToArray(), input.ToArray());
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public void A_line_of_exactly_the_maximum_is_accepted_even_fed_one_byte_at_a_time(string ending)
    {
        var framing = new LineFraming(16);
        var line = Enumerable.Repeat((byte)'x', 16).ToArray();
        byte[] bytes = [.. line, .. Encoding.ASCII.GetBytes(ending)];

        var result = FramingDriver.Receive(framing, bytes.Select(b => new[] { b }));

        Assert.Equal(FramingResult.Of([line]).ToString(), result.ToString());
        Assert.Equal(FramingResult.Of([line]).ToString(), FramingDriver.ReadAll(framing, bytes).ToString());
    }

    [Fact]
    public void A_line_of_the_maximum_ending_in_carriage_return_is_accepted()
    {
        // Only the '\r' right before '\n' belongs to the ending; the one before it is content.
        var framing = new LineFraming(16);
        byte[] line = [.. Enumerable.Repeat((byte)'x', 15), (byte)'\r'];

        var result = FramingDriver.ReadAll(framing, [.. line, (byte)'\r', (byte)'\n']);

        Assert.Equal(FramingResult.Of([line]).ToString(), result.ToString());
    }

    [Fact]
    public void An_overlong_line_fed_one_byte_at_a_time_is_rejected_as_soon_as_it_is_proven()
    {
        var framing = new LineFraming(16);
        var bytes = Enumerable.Repeat((byte)'x', 100).ToArray();

        var (buffered, error) = FramingDriver.FeedBytewise(framing, bytes);

        // 17 bytes without a line ending are a line longer than 16 whatever comes next.
        Assert.Equal(CloseCode.FrameTooLarge, error);
        Assert.Equal(17, buffered);
    }

    [Theory]
    [InlineData((byte)'x')]
    [InlineData((byte)'\r')]
    public void An_overlong_line_whose_17th_byte_is_a_carriage_return_is_rejected_at_the_18th(byte eighteenth)
    {
        // "x"*16 + "\r" may still be a 16-byte line ending in "\r\n"; only the next byte decides.
        var framing = new LineFraming(16);
        byte[] bytes = [.. Enumerable.Repeat((byte)'x', 16), (byte)'\r', eighteenth, .. Enumerable.Repeat((byte)'x', 50)];

        var (buffered, error) = FramingDriver.FeedBytewise(framing, bytes);

        Assert.Equal(CloseCode.FrameTooLarge, error);
        Assert.Equal(18, buffered);
    }

    [Fact]
    public void An_overlong_line_is_never_rejected_later_than_max_plus_two_bytes()
    {
        var framing = new LineFraming(16);
        var random = new Random(11);
        for (var round = 0; round < 500; round++)
        {
            // Mostly '\r' and 'x', so that every position of a carriage return around the limit is tried.
            var bytes = Enumerable.Range(0, 40).Select(_ => random.Next(3) == 0 ? (byte)'\r' : (byte)'x').ToArray();

            var (buffered, error) = FramingDriver.FeedBytewise(framing, bytes);

            Assert.Equal(CloseCode.FrameTooLarge, error);
            Assert.InRange(buffered!.Value, 17, 18);
        }
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public void An_overlong_line_with_its_ending_in_one_buffer_is_rejected(string ending)
    {
        var framing = new LineFraming(16);
        byte[] bytes = [.. Enumerable.Repeat((byte)'x', 17), .. Encoding.ASCII.GetBytes(ending)];

        var error = Assert.Throws<TetherProtocolException>(() =>
        {
            var input = new ReadOnlySequence<byte>(bytes);
            framing.TryRead(ref input, out _);
        });

        Assert.Equal(CloseCode.FrameTooLarge, error.Code);
        Assert.Equal("line longer than 16 bytes", error.Message);
    }

    [Fact]
    public void A_newline_beyond_the_limit_is_not_searched_for()
    {
        var framing = new LineFraming(16);
        var input = Sequences.Segmented([.. Sequences.FixedChunks([.. Enumerable.Repeat((byte)'x', 5000), (byte)'\n'], 7)]);

        var error = Assert.Throws<TetherProtocolException>(() => framing.TryRead(ref input, out _));

        Assert.Equal(CloseCode.FrameTooLarge, error.Code);
    }

    [Fact]
    public void Lines_before_an_overlong_one_are_still_delivered()
    {
        var framing = new LineFraming(4);

        var result = FramingDriver.ReadAll(framing, "ok\nfine\ntoo long\nnever\n"u8.ToArray());

        Assert.Equal(
            FramingResult.Of(["ok"u8.ToArray(), "fine"u8.ToArray()], leftover: 15, CloseCode.FrameTooLarge).ToString(),
            result.ToString());
    }

    [Theory]
    [InlineData("a\nb")]
    [InlineData("\n")]
    [InlineData("ends with cr\r")]
    [InlineData("\r")]
    public void Write_rejects_a_message_that_would_not_round_trip_and_writes_nothing(string text)
    {
        var output = new ArrayBufferWriter<byte>();

        Assert.Throws<ArgumentException>(() => Lines.Write(Encoding.UTF8.GetBytes(text), output));

        Assert.Equal(0, output.WrittenCount);
    }

    [Fact]
    public void Write_accepts_a_carriage_return_inside_the_message()
    {
        var output = new ArrayBufferWriter<byte>();

        Lines.Write("a\rb"u8, output);

        Assert.Equal("a\rb\n"u8.ToArray(), output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Farewell_is_a_close_line_with_the_wire_name_and_reason()
    {
        var output = new ArrayBufferWriter<byte>();

        Lines.WriteFarewell(CloseCode.GoingAway, "server restarting", output);

        Assert.Equal("CLOSE GOING_AWAY server restarting\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Farewell_replaces_line_breaks_in_the_reason_with_spaces()
    {
        var output = new ArrayBufferWriter<byte>();

        Lines.WriteFarewell(CloseCode.FrameTooLarge, "line\r\ntoo\nlong\r", output);

        Assert.Equal("CLOSE FRAME_TOO_LARGE line  too long \n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Farewell_keeps_unicode_and_names_application_codes()
    {
        var output = new ArrayBufferWriter<byte>();

        Lines.WriteFarewell((CloseCode)4001, "kicked — bye ✓", output);

        Assert.Equal("CLOSE APPLICATION_4001 kicked — bye ✓\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Farewell_without_a_reason_has_no_trailing_space()
    {
        var output = new ArrayBufferWriter<byte>();

        Lines.WriteFarewell(CloseCode.Normal, "", output);

        Assert.Equal("CLOSE NORMAL\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Farewell_is_one_line_that_the_line_framing_reads_back()
    {
        var output = new ArrayBufferWriter<byte>();
        var reason = new string('r', 5000) + "\n";

        Lines.WriteFarewell(CloseCode.ServerBusy, reason, output);

        var result = FramingDriver.ReadAll(Lines, output.WrittenSpan.ToArray());
        var line = Assert.Single(result.Messages);
        Assert.Equal(0, result.Leftover);
        Assert.Equal("CLOSE SERVER_BUSY " + new string('r', ProtocolConstants.MaxReasonBytes), Encoding.UTF8.GetString(line));
    }

    [Fact]
    public void The_framing_is_usable_through_the_interface()
    {
        IFraming framing = Lines;
        var output = new ArrayBufferWriter<byte>();

        framing.WriteFarewell(CloseCode.Normal, "bye", output);

        Assert.Equal("CLOSE NORMAL bye\n", Encoding.UTF8.GetString(output.WrittenSpan));
    }
}
