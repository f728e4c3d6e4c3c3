using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tether.Framing;
using Tether.Protocol.Tests.Support;

namespace Tether.Protocol.Tests.Framing;

/// <summary>
/// Property-based checks of the built-in framings: whatever the messages and however the stream is cut into reads,
/// reading gives back exactly what was written; and arbitrary bytes only ever end in messages, a wait for more bytes or
/// a <see cref="TetherProtocolException"/>.
/// </summary>
public sealed class FramingProperties
{
    private static readonly Gen<byte> AnyByte = Gen.Choose(0, 255).Select(i => (byte)i);

    /// <summary>Any byte, with the ones framings look at (line endings, STX/ETX, zero and all-ones) made common.</summary>
    private static readonly Gen<byte> InterestingByte = Gen.Frequency(
        (3, AnyByte),
        (2, Gen.Elements<byte>((byte)'\r', (byte)'\n')),
        (1, Gen.Elements<byte>(0x00, 0x02, 0x03, 0xFF)));

    /// <summary>A line's content: no '\n', and not ending in '\r' (which would be read as part of the ending).</summary>
    private static readonly Gen<byte[]> LineContent = Gen.ArrayOf(InterestingByte.Where(b => b != '\n'))
        .Select(bytes => bytes.AsSpan().TrimEnd((byte)'\r').ToArray());

    private static readonly Arbitrary<byte[][]> LineMessages =
        Arb.From(Gen.ArrayOf(LineContent), ShrinkByRemoval);

    private static readonly Arbitrary<byte[][]> AnyMessages =
        Arb.From(Gen.ArrayOf(Gen.ArrayOf(InterestingByte)), ShrinkByRemoval);

    /// <summary>Lines of 0 to 24 bytes with '\n' or '\r\n' endings: long enough to cross a 16-byte limit now and then.</summary>
    private static readonly Arbitrary<(byte[] Content, bool Crlf)[]> MixedLines = Arb.From(
        Gen.ArrayOf(
            from length in Gen.Frequency((4, Gen.Choose(0, 16)), (1, Gen.Choose(17, 24)))
            from content in Gen.ArrayOf(InterestingByte.Where(b => b != '\n'), length)
            from crlf in Gen.Elements(false, true)
            select (content, crlf)),
        ShrinkByRemoval);

    private static readonly Arbitrary<byte[]> AnyBytes = Arb.From(Gen.ArrayOf(InterestingByte).ScaleSize(size => size * 2));

    private static readonly Arbitrary<int[]> Cuts = Arb.From(Gen.ArrayOf(Gen.Choose(0, int.MaxValue)));

    private static readonly Arbitrary<LengthPrefix> Prefixes = Arb.From(Gen.Elements(LengthPrefix.UInt16, LengthPrefix.UInt32));

    /// <summary>Every framing with limits small enough that random input reaches them.</summary>
    private static readonly Arbitrary<IFraming> Framings = Arb.From(Gen.Elements<IFraming>(
        new LineFraming(),
        new LineFraming(1),
        new LineFraming(16),
        new LengthPrefixedFraming(LengthPrefix.UInt16),
        new LengthPrefixedFraming(LengthPrefix.UInt16, 20),
        new LengthPrefixedFraming(LengthPrefix.UInt32),
        new LengthPrefixedFraming(LengthPrefix.UInt32, 0),
        new LengthPrefixedFraming(LengthPrefix.UInt32, 20),
        new StxEtxFraming(16)));

    [Property(MaxTest = 300)]
    public Property Lines_survive_any_cutting_of_the_stream() => Prop.ForAll(LineMessages, Cuts, (messages, cuts) =>
        RoundTrips(new LineFraming(), messages, cuts));

    [Property(MaxTest = 300)]
    public Property Length_prefixed_messages_survive_any_cutting_of_the_stream() =>
        Prop.ForAll(Prefixes, AnyMessages, Cuts, (prefix, messages, cuts) =>
            RoundTrips(new LengthPrefixedFraming(prefix), messages, cuts));

    [Property(MaxTest = 300)]
    public Property Mixed_line_endings_read_up_to_the_first_overlong_line() => Prop.ForAll(MixedLines, Cuts, (lines, cuts) =>
    {
        var framing = new LineFraming(16);
        byte[] stream = [.. lines.SelectMany(line => line.Content.Concat(line.Crlf ? "\r\n"u8.ToArray() : "\n"u8.ToArray()))];

        // The model: the content of each line (one trailing '\r' is the ending's), until one is longer than 16 bytes.
        var expected = new List<byte[]>();
        CloseCode? expectedError = null;
        foreach (var (content, crlf) in lines)
        {
            var message = !crlf && content.Length > 0 && content[^1] == '\r' ? content[..^1] : content;
            if (message.Length > framing.MaxLineLength)
            {
                expectedError = CloseCode.FrameTooLarge;
                break;
            }

            expected.Add(message);
        }

        var model = FramingResult.Of(expected, 0, expectedError);
        var chunks = FramingDriver.Cut(stream, cuts);
        return (SameMessages(model, FramingDriver.ReadAll(framing, stream))
                && SameMessages(model, FramingDriver.Receive(framing, chunks))
                && SameMessages(model, FramingDriver.ReceiveSegmented(framing, chunks)))
            .Label($"{lines.Length} lines, {stream.Length} bytes, cuts [{string.Join(",", cuts)}]");
    });

    [Property(MaxTest = 500)]
    public Property Arbitrary_bytes_end_in_messages_a_wait_or_a_protocol_error_never_a_crash() =>
        Prop.ForAll(Framings, AnyBytes, Cuts, (framing, bytes, cuts) =>
        {
            // The driver turns only TetherProtocolException into a result: any other exception fails the property.
            var chunks = FramingDriver.Cut(bytes, cuts);
            var whole = FramingDriver.ReadAll(framing, bytes);
            var streamed = FramingDriver.Receive(framing, chunks);
            var segmented = FramingDriver.ReceiveSegmented(framing, chunks);

            // Where the reads fall changes nothing but how much of a rejected frame was buffered when it was rejected.
            return (SameMessages(whole, streamed) && SameMessages(whole, segmented)
                    && (whole.Error is not null || streamed.ToString() == whole.ToString()))
                .Label($"{framing.Name} (max frame {framing.MaxFrameLength}), {bytes.Length} bytes");
        });

    [Property(MaxTest = 300)]
    public Property Raw_gives_back_each_read_as_it_came() => Prop.ForAll(AnyBytes, Cuts, (bytes, cuts) =>
    {
        var chunks = FramingDriver.Cut(bytes, cuts).Where(chunk => chunk.Length > 0).ToList();
        var expected = FramingResult.Of(chunks).ToString();

        return (FramingDriver.Receive(RawFraming.Instance, chunks).ToString() == expected
                && FramingDriver.ReceiveSegmented(RawFraming.Instance, chunks).ToString() == expected)
            .Label($"{chunks.Count} reads, {bytes.Length} bytes");
    });

    private static Property RoundTrips(IFraming framing, byte[][] messages, int[] cuts)
    {
        var stream = FramingDriver.Encode(framing, messages);
        var chunks = FramingDriver.Cut(stream, cuts);
        var expected = FramingResult.Of(messages).ToString();

        return (FramingDriver.ReadAll(framing, stream).ToString() == expected
                && FramingDriver.ReadAll(framing, Sequences.Segmented(chunks)).ToString() == expected
                && FramingDriver.Receive(framing, chunks).ToString() == expected
                && FramingDriver.ReceiveSegmented(framing, chunks).ToString() == expected)
            .Label($"{framing.Name}: {messages.Length} messages, {stream.Length} bytes, cuts [{string.Join(",", cuts)}]");
    }

    private static bool SameMessages(FramingResult expected, FramingResult actual) =>
        expected.Error == actual.Error
        && expected.Messages.Count == actual.Messages.Count
        && expected.Messages.Zip(actual.Messages).All(pair => pair.First.AsSpan().SequenceEqual(pair.Second));

    /// <summary>Shrinks an array by removing runs of elements, halves first, then single elements.</summary>
    private static IEnumerable<T[]> ShrinkByRemoval<T>(T[] items)
    {
        for (var chunk = Math.Max(1, items.Length / 2); chunk >= 1 && items.Length > 0; chunk /= 2)
        {
            for (var start = 0; start + chunk <= items.Length; start += chunk)
            {
                yield return [.. items[..start], .. items[(start + chunk)..]];
            }
        }
    }
}
