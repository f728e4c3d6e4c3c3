using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Tether.Protocol.Tests.Framing;
using Tether.Protocol.Tests.Support;

namespace Tether.Protocol.Tests;

/// <summary>
/// Property-based checks of the decoder: whatever the frames and however the stream is cut into reads, decoding gives
/// exactly what was encoded; and arbitrary bytes only ever end in a protocol error or a wait for more bytes.
/// </summary>
public sealed class DecoderProperties
{
    private const int MaxBody = 64 * 1024;

    [Property(MaxTest = 300)]
    public Property Data_frames_survive_any_cutting_of_the_stream(byte[][] payloads, ulong[] sequences, int[] cuts)
    {
        var encoded = Encode(payloads, sequences);
        var whole = StreamDecoder.DecodeAll(encoded, MaxBody);
        var streamed = StreamDecoder.DecodeStreaming(FramingDriver.Cut(encoded, cuts), MaxBody);

        return (whole.Error is null
                && whole.Leftover == 0
                && whole.Frames.Count == payloads.Length
                && streamed.ToString() == whole.ToString())
            .Label($"{payloads.Length} frames, {encoded.Length} bytes, cuts [{string.Join(",", cuts)}]");
    }

    [Property(MaxTest = 500)]
    public Property Arbitrary_bytes_end_in_a_protocol_error_or_a_wait_never_a_crash(byte[] bytes, int[] cuts)
    {
        // StreamDecoder asserts the decoder's contract at every step and turns only TetherProtocolException into an error.
        var whole = StreamDecoder.DecodeAll(bytes, MaxBody);
        var streamed = StreamDecoder.DecodeStreaming(FramingDriver.Cut(bytes, cuts), MaxBody);

        return (streamed.ToString() == whole.ToString()).Label("the same result whether read at once or in pieces");
    }

    [Property(MaxTest = 300)]
    public Property Control_frames_round_trip(NonNull<string> reason, ushort code, uint retryAfterMs)
    {
        var close = new CloseFrame { Code = (CloseCode)code, Reason = reason.Get, RetryAfterMs = retryAfterMs };
        var output = new ArrayBufferWriter<byte>();
        close.Write(output);
        var input = new ReadOnlySequence<byte>(output.WrittenMemory);

        var read = TetherFrame.TryRead(ref input, MaxBody, out var frame);
        var parsed = CloseFrame.Parse(frame);

        // Reasons are written as UTF-8 and capped at 1024 bytes, so compare what the writer could carry.
        var expected = System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(reason.Get));
        return (read && input.Length == 0 && parsed.Code == close.Code && parsed.RetryAfterMs == retryAfterMs
                && expected.StartsWith(parsed.Reason, StringComparison.Ordinal))
            .Label($"code {code}, reason of {reason.Get.Length} chars");
    }

    private static byte[] Encode(byte[][] payloads, ulong[] sequences)
    {
        var output = new ArrayBufferWriter<byte>();
        for (var i = 0; i < payloads.Length; i++)
        {
            var payload = payloads[i] ?? [];
            if (i < sequences.Length)
            {
                FrameWriter.WriteData(output, payload, DataFlags.Sequence | DataFlags.Ack, sequences[i], sequences[i] / 2);
            }
            else
            {
                FrameWriter.WriteData(output, payload);
            }
        }

        return output.WrittenSpan.ToArray();
    }
}
