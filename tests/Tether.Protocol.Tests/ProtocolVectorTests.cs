using System.Buffers;
using Tether.Protocol.Tests.Support;

namespace Tether.Protocol.Tests;

/// <summary>docs/protocol-vectors.json is the contract: every valid vector decodes and encodes exactly, every invalid one is rejected.</summary>
public sealed class ProtocolVectorTests
{
    public static TheoryData<string> ValidVectorNames => [.. ProtocolVectors.Valid.Select(vector => vector.Name)];

    public static TheoryData<string> InvalidVectorNames => [.. ProtocolVectors.Invalid.Select(vector => vector.Name)];

    public static TheoryData<string> FrameTooLargeVectorNames =>
        [.. ProtocolVectors.Invalid.Where(vector => vector.ExpectedCode == CloseCode.FrameTooLarge).Select(vector => vector.Name)];

    [Theory]
    [MemberData(nameof(ValidVectorNames))]
    public void Valid_vector_decodes_to_exactly_its_fields(string name)
    {
        var vector = ProtocolVectors.GetValid(name);
        var expected = FrameText.FromVector(vector.Frame);

        var frame = Frames.ReadSingle(vector.Bytes, vector.MaxBody);

        Assert.Equal(vector.Bytes[0], (byte)frame.Type);
        Assert.Equal(vector.Flags, frame.Flags);
        Assert.Equal(expected, FrameText.Describe(frame));
    }

    [Theory]
    [MemberData(nameof(ValidVectorNames))]
    public void Valid_vector_decodes_the_same_from_one_byte_segments(string name)
    {
        var vector = ProtocolVectors.GetValid(name);
        var segmented = Sequences.Segmented(Sequences.FixedChunks(vector.Bytes, 1));

        var frame = Frames.ReadSingle(segmented, vector.MaxBody);

        Assert.Equal(FrameText.FromVector(vector.Frame), FrameText.Describe(frame));
    }

    [Theory]
    [MemberData(nameof(ValidVectorNames))]
    public void Valid_vector_fields_encode_to_exactly_its_bytes(string name)
    {
        var vector = ProtocolVectors.GetValid(name);

        var encoded = ProtocolVectors.Encode(vector);

        Assert.Equal(Convert.ToHexStringLower(vector.Bytes), Convert.ToHexStringLower(encoded));
    }

    [Theory]
    [MemberData(nameof(ValidVectorNames))]
    public void Valid_vector_survives_decode_then_encode_unchanged(string name)
    {
        var vector = ProtocolVectors.GetValid(name);

        var reencoded = Frames.Reencode(Frames.ReadSingle(vector.Bytes, vector.MaxBody));

        Assert.Equal(Convert.ToHexStringLower(vector.Bytes), Convert.ToHexStringLower(reencoded));
    }

    [Theory]
    [MemberData(nameof(InvalidVectorNames))]
    public void Invalid_vector_is_rejected_with_its_error(string name)
    {
        var vector = ProtocolVectors.GetInvalid(name);
        ReadOnlySequence<byte>[] inputs =
        [
            new(vector.Bytes),
            Sequences.Segmented(Sequences.FixedChunks(vector.Bytes, 1)),
        ];

        foreach (var input in inputs)
        {
            var error = Assert.Throws<TetherProtocolException>(() => DecodeAndParse(input, vector.MaxFrameSize));
            Assert.Equal(vector.ExpectedCode, error.Code);
        }
    }

    [Theory]
    [MemberData(nameof(FrameTooLargeVectorNames))]
    public void Frame_too_large_vector_is_rejected_from_its_header_alone(string name)
    {
        // Spec 17.1: FRAME_TOO_LARGE vectors hold only the 6-byte header; the receiver must not need the body.
        var vector = ProtocolVectors.GetInvalid(name);

        Assert.Equal(ProtocolConstants.HeaderSize, vector.Bytes.Length);
        var error = Assert.Throws<TetherProtocolException>(() => FrameHeader.TryRead(new ReadOnlySequence<byte>(vector.Bytes), vector.MaxFrameSize, out _));
        Assert.Equal(CloseCode.FrameTooLarge, error.Code);
    }

    [Fact]
    public void Vector_file_covers_every_frame_type_and_both_errors()
    {
        Assert.Equal(ProtocolConstants.Version, ProtocolVectors.ProtocolVersion);
        var names = ProtocolVectors.Valid.Select(vector => vector.Name).Concat(ProtocolVectors.Invalid.Select(vector => vector.Name)).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());

        string[] allTypes = ["HELLO", "WELCOME", "DATA", "ACK", "PING", "PONG", "GOAWAY", "CLOSE", "EXTENSION"];
        Assert.Equal(allTypes.Order(), ProtocolVectors.Valid.Select(vector => vector.Type).Distinct().Order());
        Assert.Equal(["FRAME_TOO_LARGE", "PROTOCOL_ERROR"], ProtocolVectors.Invalid.Select(vector => vector.Error).Distinct().Order());
        Assert.All(ProtocolVectors.Valid, vector => Assert.True(vector.Bytes.Length - ProtocolConstants.HeaderSize <= 1024, vector.Name));
    }

    /// <summary>What a receiver does with one frame: header check, body cut, then the typed parse for its type.</summary>
    private static void DecodeAndParse(ReadOnlySequence<byte> input, int maxBody)
    {
        var buffer = input;
        Assert.True(TetherFrame.TryRead(ref buffer, maxBody, out var frame), "the decoder asked for more bytes instead of rejecting the frame");
        Assert.True(buffer.IsEmpty, "the invalid vector is one complete frame");
        Frames.ParseBody(frame);
    }
}
