using System.Buffers;

namespace Tether.Protocol.Tests.Support;

/// <summary>What decoding a byte stream produced: the frames (one line each), the bytes left over, and the error if any.</summary>
internal sealed record DecodeResult(IReadOnlyList<string> Frames, long Leftover, CloseCode? Error)
{
    /// <summary>A comparable rendering: two results are the same exactly when their texts are equal.</summary>
    public override string ToString() =>
        string.Join("\n", Frames.Append($"leftover={Leftover}").Append($"error={Error?.ToString() ?? "none"}"));
}

/// <summary>
/// Decodes frames the way a connection does: header check, body cut, typed parse; checking the decoder's contract at
/// every step (a refused read leaves the buffer untouched, a frame never claims more bytes than there are).
/// </summary>
internal static class StreamDecoder
{
    /// <summary>Decodes everything in <paramref name="input"/> at once.</summary>
    public static DecodeResult DecodeAll(ReadOnlySequence<byte> input, int maxBody)
    {
        var frames = new List<string>();
        var buffer = input;
        var error = DecodeAvailable(ref buffer, maxBody, frames);
        return new DecodeResult(frames, buffer.Length, error);
    }

    public static DecodeResult DecodeAll(byte[] input, int maxBody) => DecodeAll(new ReadOnlySequence<byte>(input), maxBody);

    /// <summary>Feeds the chunks one at a time, decoding whatever is complete after each, like a socket read loop.</summary>
    public static DecodeResult DecodeStreaming(IReadOnlyList<byte[]> chunks, int maxBody)
    {
        var stream = Sequences.Build(chunks);
        var frames = new List<string>();
        var consumed = stream.Sequence.Start;
        foreach (var chunkEnd in stream.ChunkEnds)
        {
            var available = stream.Sequence.Slice(consumed, chunkEnd);
            var error = DecodeAvailable(ref available, maxBody, frames);
            if (error is not null)
            {
                return new DecodeResult(frames, stream.Sequence.Slice(available.Start).Length, error);
            }

            consumed = available.Start;
        }

        return new DecodeResult(frames, stream.Sequence.Slice(consumed).Length, null);
    }

    private static CloseCode? DecodeAvailable(ref ReadOnlySequence<byte> buffer, int maxBody, List<string> frames)
    {
        try
        {
            while (true)
            {
                var before = buffer;
                if (!TetherFrame.TryRead(ref buffer, maxBody, out var frame))
                {
                    Assert.Equal(before.Start, buffer.Start);
                    Assert.Equal(before.End, buffer.End);
                    return null;
                }

                Assert.True(frame.EncodedLength <= before.Length, $"a {frame.EncodedLength}-byte frame was cut from {before.Length} bytes");
                Assert.Equal(frame.Header.BodyLength, frame.Body.Length);
                Assert.Equal(before.Length - frame.EncodedLength, buffer.Length);
                frames.Add(FrameText.Line(frame));
            }
        }
        catch (TetherProtocolException ex)
        {
            return ex.Code;
        }
    }
}
