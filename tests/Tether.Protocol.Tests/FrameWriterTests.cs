using System.Buffers;
using Tether.Protocol.Tests.Support;

namespace Tether.Protocol.Tests;

public sealed class FrameWriterTests
{
    public static TheoryData<DataFlags, int> DataShapes
    {
        get
        {
            var shapes = new TheoryData<DataFlags, int>();
            DataFlags[] allFlags = [DataFlags.None, DataFlags.Sequence, DataFlags.Ack, DataFlags.Sequence | DataFlags.Ack];
            int[] payloadLengths = [0, 1, 5, 1000, 65_536];
            foreach (var flags in allFlags)
            {
                foreach (var length in payloadLengths)
                {
                    shapes.Add(flags, length);
                }
            }

            return shapes;
        }
    }

    [Theory]
    [MemberData(nameof(DataShapes))]
    public void Data_length_and_header_writer_agree_with_write_data(DataFlags flags, int payloadLength)
    {
        var payload = Samples.Pattern(payloadLength);
        var whole = Frames.Write(output => FrameWriter.WriteData(output, payload, flags, 0x1122334455667788, 0x99AABBCCDDEEFF00));
        var header = new byte[64];

        var headerLength = FrameWriter.WriteDataHeader(header, payloadLength, flags, 0x1122334455667788, 0x99AABBCCDDEEFF00);

        Assert.Equal(whole.Length, FrameWriter.DataLength(payloadLength, flags));
        Assert.Equal(DataFrame.HeaderLength(flags), headerLength);
        Assert.Equal(whole.Length - payloadLength, headerLength);
        Assert.Equal(Convert.ToHexStringLower(whole.AsSpan(0, headerLength)), Convert.ToHexStringLower(header.AsSpan(0, headerLength)));
        Assert.True(whole.AsSpan(headerLength).SequenceEqual(payload));
    }

    [Theory]
    [InlineData(DataFlags.None, 6)]
    [InlineData(DataFlags.Sequence, 14)]
    [InlineData(DataFlags.Ack, 14)]
    [InlineData(DataFlags.Sequence | DataFlags.Ack, 22)]
    public void Data_header_length_is_the_frame_header_plus_the_optional_fields(DataFlags flags, int expected)
    {
        Assert.Equal(expected, DataFrame.HeaderLength(flags));
        Assert.Equal(expected, FrameWriter.DataLength(0, flags));
        Assert.Equal(expected + 10, FrameWriter.DataLength(10, flags));
    }

    [Fact]
    public void Data_header_written_separately_then_payload_decodes_as_one_frame()
    {
        var payload = "hello"u8.ToArray();
        var buffer = new byte[FrameWriter.DataLength(payload.Length, DataFlags.Sequence)];

        var headerLength = FrameWriter.WriteDataHeader(buffer, payload.Length, DataFlags.Sequence, 1, 0);
        payload.CopyTo(buffer, headerLength);

        Assert.Equal("03010000000d000000000000000168656c6c6f", Convert.ToHexStringLower(buffer));
    }

    [Fact]
    public void Plain_write_data_overload_writes_no_optional_fields()
    {
        Assert.Equal("03000000000568656c6c6f", Convert.ToHexStringLower(Frames.Write(output => FrameWriter.WriteData(output, "hello"u8))));
    }

    [Theory]
    [InlineData(FrameType.Ack, "04")]
    [InlineData(FrameType.Ping, "05")]
    [InlineData(FrameType.Pong, "06")]
    public void UInt64_frames_are_14_bytes(FrameType type, string typeHex)
    {
        var span = new byte[FrameWriter.UInt64FrameLength];

        FrameWriter.WriteUInt64Frame(span, type, 0x0102030405060708);

        Assert.Equal(14, FrameWriter.UInt64FrameLength);
        Assert.Equal(typeHex + "00000000080102030405060708", Convert.ToHexStringLower(span));
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x08)]
    [InlineData(0x3F)]
    [InlineData(0x80)]
    [InlineData(0xFF)]
    public void Extension_writer_refuses_types_outside_0x40_to_0x7f(byte type)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Frames.Write(output => FrameWriter.WriteExtension(output, type, 0, [])));
    }

    [Fact]
    public void Typed_parsers_refuse_a_frame_of_another_type_as_a_programming_error()
    {
        var ping = Frames.ReadSingle(Samples.Get("ping-1").Bytes, Frames.DefaultMax);

        Assert.Throws<ArgumentException>(() => HelloFrame.Parse(ping));
        Assert.Throws<ArgumentException>(() => WelcomeFrame.Parse(ping));
        Assert.Throws<ArgumentException>(() => GoAwayFrame.Parse(ping));
        Assert.Throws<ArgumentException>(() => CloseFrame.Parse(ping));
        Assert.Throws<ArgumentException>(() => DataFrame.Parse(ping));
    }

    [Fact]
    public void Frame_header_writes_what_it_reads()
    {
        var header = new FrameHeader(FrameType.Close, 0, 1234);
        var bytes = new byte[ProtocolConstants.HeaderSize];

        header.Write(bytes);

        Assert.Equal("0800000004d2", Convert.ToHexStringLower(bytes));
        Assert.True(FrameHeader.TryRead(new ReadOnlySequence<byte>(bytes), Frames.DefaultMax, out var read));
        Assert.Equal(header, read);
        Assert.False(read.IsExtension);
        Assert.True(new FrameHeader((FrameType)0x40, 0, 0).IsExtension);
        Assert.True(new FrameHeader((FrameType)0x7F, 0, 0).IsExtension);
    }
}
