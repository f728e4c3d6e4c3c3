using System.Buffers;
using System.Buffers.Binary;
using Tether.Protocol;

namespace Tether.Fuzz.Engine;

/// <summary>
/// Checks the typed parsers on one whole frame: a frame the generator wrote parses and writes back to the same bytes;
/// any other frame parses or fails with <see cref="TetherProtocolException"/>, and what it parses to survives writing and
/// parsing again unchanged; DATA, ACK, PING and PONG fields are exactly the bytes at their offsets.
/// </summary>
internal static class TypedFrameCheck
{
    /// <summary>A failure description, or null.</summary>
    public static string? Check(byte[] encoded, bool unchanged)
    {
        var frame = TetherFrame.Parse(new ReadOnlySequence<byte>(encoded));
        try
        {
            return frame.Type switch
            {
                FrameType.Hello => Rewrites(encoded, unchanged, HelloFrame.Parse(frame).Write, output => HelloFrame.Parse(Reparse(output)).Write),
                FrameType.Welcome => Rewrites(encoded, unchanged, WelcomeFrame.Parse(frame).Write, output => WelcomeFrame.Parse(Reparse(output)).Write),
                FrameType.Close => Rewrites(encoded, unchanged, CloseFrame.Parse(frame).Write, output => CloseFrame.Parse(Reparse(output)).Write),
                FrameType.GoAway => Rewrites(encoded, unchanged, GoAwayFrame.Parse(frame).Write, output => GoAwayFrame.Parse(Reparse(output)).Write),
                FrameType.Data => DataFields(encoded, DataFrame.Parse(frame)),
                FrameType.Ack or FrameType.Ping or FrameType.Pong =>
                    frame.ReadUInt64Body() == BinaryPrimitives.ReadUInt64BigEndian(encoded.AsSpan(ProtocolConstants.HeaderSize))
                        ? null
                        : "the u64 body was read wrong",
                _ => null,
            };
        }
        catch (TetherProtocolException rejected)
        {
            return unchanged ? $"a valid {frame.Type} frame was rejected: {rejected.Message}" : null;
        }
    }

    private static TetherFrame Reparse(ArrayBufferWriter<byte> output) => TetherFrame.Parse(new ReadOnlySequence<byte>(output.WrittenMemory));

    /// <summary>
    /// Writing what was parsed gives the same bytes for a frame the generator wrote; for any other frame the parsed
    /// value is a fixed point: written, parsed and written again, the bytes do not change.
    /// </summary>
    private static string? Rewrites(byte[] encoded, bool unchanged, Action<IBufferWriter<byte>> write, Func<ArrayBufferWriter<byte>, Action<IBufferWriter<byte>>> reparse)
    {
        var first = new ArrayBufferWriter<byte>();
        write(first);
        if (unchanged)
        {
            return first.WrittenSpan.SequenceEqual(encoded) ? null : "parsed and written again, the frame differs from what was written";
        }

        var second = new ArrayBufferWriter<byte>();
        reparse(first)(second);
        return second.WrittenSpan.SequenceEqual(first.WrittenSpan) ? null : "what it parsed to does not survive writing and parsing again";
    }

    private static string? DataFields(byte[] encoded, DataFrame data)
    {
        var at = ProtocolConstants.HeaderSize;
        if (data.HasSequence)
        {
            if (data.Sequence != BinaryPrimitives.ReadUInt64BigEndian(encoded.AsSpan(at)))
            {
                return "DATA sequence read wrong";
            }

            at += 8;
        }

        if (data.HasAck)
        {
            if (data.Ack != BinaryPrimitives.ReadUInt64BigEndian(encoded.AsSpan(at)))
            {
                return "DATA ack read wrong";
            }

            at += 8;
        }

        return data.Payload.ToArray().AsSpan().SequenceEqual(encoded.AsSpan(at)) ? null : "DATA payload differs from the bytes after its fields";
    }
}
