using System.Buffers;
using System.Buffers.Binary;

namespace Tether.Protocol.Tests.Support;

/// <summary>Writing and reading single frames with the library's own codec.</summary>
internal static class Frames
{
    public const int HandshakeMax = ProtocolConstants.HandshakeMaxBodySize;

    public const int DefaultMax = ProtocolConstants.DefaultMaxFrameSize;

    /// <summary>Runs a writer against a fresh buffer and returns what it wrote.</summary>
    public static byte[] Write(Action<IBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>A raw 6-byte header, without any validation.</summary>
    public static byte[] Header(byte type, byte flags, uint bodyLength)
    {
        var header = new byte[ProtocolConstants.HeaderSize];
        header[0] = type;
        header[1] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(2), bodyLength);
        return header;
    }

    /// <summary>A raw frame: header announcing exactly <paramref name="body"/>'s length, then the body.</summary>
    public static byte[] Raw(byte type, byte flags, ReadOnlySpan<byte> body) => [.. Header(type, flags, (uint)body.Length), .. body];

    /// <summary>The body limit a receiver applies to a frame of this type in the vectors: 8192 during the handshake, else 1 MiB.</summary>
    public static int MaxBodyFor(byte type) => type is (byte)FrameType.Hello or (byte)FrameType.Welcome ? HandshakeMax : DefaultMax;

    /// <summary>Decodes exactly one frame that must fill <paramref name="input"/> completely.</summary>
    public static TetherFrame ReadSingle(ReadOnlySequence<byte> input, int maxBody)
    {
        var buffer = input;
        Assert.True(TetherFrame.TryRead(ref buffer, maxBody, out var frame), "the decoder asked for more bytes than the whole frame");
        Assert.True(buffer.IsEmpty, $"the decoder left {buffer.Length} of {input.Length} bytes unconsumed");
        Assert.Equal(input.Length, frame.EncodedLength);
        Assert.Equal(frame.Header.BodyLength, frame.Body.Length);
        return frame;
    }

    public static TetherFrame ReadSingle(byte[] input, int maxBody) => ReadSingle(new ReadOnlySequence<byte>(input), maxBody);

    /// <summary>Parses the frame with its typed parser and writes it again with the matching library writer.</summary>
    public static byte[] Reencode(in TetherFrame frame)
    {
        var output = new ArrayBufferWriter<byte>();
        switch (frame.Type)
        {
            case FrameType.Hello:
                HelloFrame.Parse(frame).Write(output);
                break;
            case FrameType.Welcome:
                WelcomeFrame.Parse(frame).Write(output);
                break;
            case FrameType.Data:
                var data = DataFrame.Parse(frame);
                FrameWriter.WriteData(output, data.Payload.ToArray(), data.Flags, data.Sequence, data.Ack);
                break;
            case FrameType.Ack:
                FrameWriter.WriteAck(output, frame.ReadUInt64Body());
                break;
            case FrameType.Ping:
                FrameWriter.WritePing(output, frame.ReadUInt64Body());
                break;
            case FrameType.Pong:
                FrameWriter.WritePong(output, frame.ReadUInt64Body());
                break;
            case FrameType.GoAway:
                GoAwayFrame.Parse(frame).Write(output);
                break;
            case FrameType.Close:
                CloseFrame.Parse(frame).Write(output);
                break;
            default:
                FrameWriter.WriteExtension(output, (byte)frame.Type, frame.Flags, frame.Body.ToArray());
                break;
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>Runs the typed parser (or the u64 body reader) that a receiver applies to a frame of this type.</summary>
    public static void ParseBody(in TetherFrame frame) => _ = FrameText.Describe(frame);
}
