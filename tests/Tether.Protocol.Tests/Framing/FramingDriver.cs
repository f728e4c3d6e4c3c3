using System.Buffers;
using Tether.Framing;
using Tether.Protocol.Tests.Support;

namespace Tether.Protocol.Tests.Framing;

/// <summary>What reading a byte stream through a framing produced: the messages, the bytes left over, and the error if any.</summary>
internal sealed record FramingResult(IReadOnlyList<byte[]> Messages, long Leftover, CloseCode? Error)
{
    public static FramingResult Of(IEnumerable<byte[]> messages, long leftover = 0, CloseCode? error = null) =>
        new([.. messages], leftover, error);

    /// <summary>A comparable rendering: two results are the same exactly when their texts are equal.</summary>
    public override string ToString() =>
        string.Join("\n", Messages.Select(m => "[" + Convert.ToHexString(m) + "]")
            .Append($"leftover={Leftover}")
            .Append($"error={Error?.ToString() ?? "none"}"));
}

/// <summary>
/// Drives an <see cref="IFraming"/> the way a connection's receive loop does, checking the interface's contract at every
/// step: a refused read leaves the input untouched, a message is a slice of what was consumed, and a framing never
/// asks to buffer a whole <see cref="IFraming.MaxFrameLength"/> without either completing or rejecting the frame.
/// </summary>
internal static class FramingDriver
{
    public static byte[] Encode(IFraming framing, IEnumerable<byte[]> messages)
    {
        var output = new ArrayBufferWriter<byte>();
        foreach (var message in messages)
        {
            framing.Write(message, output);
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>Reads everything in <paramref name="input"/> at once.</summary>
    public static FramingResult ReadAll(IFraming framing, ReadOnlySequence<byte> input)
    {
        var messages = new List<byte[]>();
        var buffer = input;
        var error = ReadAvailable(framing, ref buffer, messages);
        return new FramingResult(messages, buffer.Length, error);
    }

    public static FramingResult ReadAll(IFraming framing, byte[] input) => ReadAll(framing, new ReadOnlySequence<byte>(input));

    /// <summary>
    /// A receive loop over one contiguous buffer: each chunk is appended after the unconsumed rest of the previous reads,
    /// then complete messages are cut off the front.
    /// </summary>
    public static FramingResult Receive(IFraming framing, IEnumerable<byte[]> chunks)
    {
        var messages = new List<byte[]>();
        byte[] pending = [];
        foreach (var chunk in chunks)
        {
            pending = [.. pending, .. chunk];
            var buffer = new ReadOnlySequence<byte>(pending);
            var error = ReadAvailable(framing, ref buffer, messages);
            if (error is not null)
            {
                return new FramingResult(messages, buffer.Length, error);
            }

            pending = buffer.ToArray();
        }

        return new FramingResult(messages, pending.Length, null);
    }

    /// <summary>
    /// A receive loop over a pipe-like buffer: every chunk is its own segment, so the unconsumed rest and the frames in
    /// it span segments.
    /// </summary>
    public static FramingResult ReceiveSegmented(IFraming framing, IReadOnlyList<byte[]> chunks)
    {
        var stream = Sequences.Build(chunks);
        var messages = new List<byte[]>();
        var consumed = stream.Sequence.Start;
        foreach (var chunkEnd in stream.ChunkEnds)
        {
            var available = stream.Sequence.Slice(consumed, chunkEnd);
            var error = ReadAvailable(framing, ref available, messages);
            if (error is not null)
            {
                return new FramingResult(messages, available.Length, error);
            }

            consumed = available.Start;
        }

        return new FramingResult(messages, stream.Sequence.Slice(consumed).Length, null);
    }

    /// <summary>
    /// Feeds <paramref name="bytes"/> one byte at a time and returns how many bytes were buffered (unconsumed) when the
    /// framing threw, or null if it never did.
    /// </summary>
    public static (int? BufferedAtError, CloseCode? Error) FeedBytewise(IFraming framing, byte[] bytes)
    {
        var result = Receive(framing, bytes.Select(b => new[] { b }));
        return result.Error is null ? (null, null) : ((int)result.Leftover, result.Error);
    }

    /// <summary>Cuts <paramref name="bytes"/> at the given positions (taken modulo the length, in any order).</summary>
    public static List<byte[]> Cut(byte[] bytes, int[] cuts)
    {
        if (bytes.Length == 0)
        {
            return [[]];
        }

        var points = cuts.Select(c => (int)((uint)c % (uint)bytes.Length)).Append(0).Append(bytes.Length).Distinct().Order().ToArray();
        var chunks = new List<byte[]>();
        for (var i = 1; i < points.Length; i++)
        {
            chunks.Add(bytes[points[i - 1]..points[i]]);
        }

        return chunks;
    }

    private static CloseCode? ReadAvailable(IFraming framing, ref ReadOnlySequence<byte> buffer, List<byte[]> messages)
    {
        try
        {
            while (true)
            {
                var before = buffer;
                if (!framing.TryRead(ref buffer, out var message))
                {
                    Assert.Equal(before.Start, buffer.Start);
                    Assert.Equal(before.End, buffer.End);

                    // The runtime closes a connection that buffers MaxFrameLength bytes of an unfinished frame; a correct
                    // framing has completed or rejected every frame by then.
                    Assert.True(
                        buffer.Length < framing.MaxFrameLength,
                        $"{framing.Name} waits for more with {buffer.Length} bytes buffered (max frame {framing.MaxFrameLength})");
                    return null;
                }

                var consumed = before.Length - buffer.Length;
                Assert.True(consumed > 0, $"{framing.Name} returned a message without consuming input");
                Assert.True(consumed <= framing.MaxFrameLength, $"{framing.Name} consumed a frame of {consumed} bytes");
                Assert.True(message.Length <= consumed, "the message is longer than the frame it came from");
                Assert.Equal(before.End, buffer.End);
                messages.Add(message.ToArray());
            }
        }
        catch (TetherProtocolException error)
        {
            return error.Code;
        }
    }
}
