using System.Buffers;
using Tether.Cli.Soak;

namespace Tether.Cli.Tests.Soak;

public class SoakMessageTests
{
    [Theory]
    [InlineData('U', 0, 1L)]
    [InlineData('D', 199, long.MaxValue)]
    public void A_message_reads_back_as_written(char directionByte, int client, long counter)
    {
        var direction = (SoakDirection)directionByte;
        var bytes = new SoakMessage(direction, client, counter).ToArray();
        Assert.Equal(SoakMessage.Size, bytes.Length);
        Assert.True(SoakMessage.TryRead(new ReadOnlySequence<byte>(bytes), out var message));
        Assert.Equal(new SoakMessage(direction, client, counter), message);
    }

    [Fact]
    public void The_layout_is_direction_client_counter_checksum_big_endian()
    {
        var bytes = new SoakMessage(SoakDirection.Up, 0x01020304, 0x05060708090a0b0c).ToArray();
        Assert.Equal("55" + "01020304" + "05060708090A0B0C", Convert.ToHexString(bytes.AsSpan(0, 13)));
    }

    [Fact]
    public void A_damaged_byte_is_detected()
    {
        var bytes = new SoakMessage(SoakDirection.Down, 3, 42).ToArray();
        for (var i = 0; i < bytes.Length; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x10;
            Assert.False(SoakMessage.TryRead(new ReadOnlySequence<byte>(damaged), out _), $"byte {i}");
        }
    }

    [Fact]
    public void Anything_of_another_size_is_not_a_soak_message()
    {
        var bytes = new SoakMessage(SoakDirection.Down, 3, 42).ToArray();
        Assert.False(SoakMessage.TryRead(new ReadOnlySequence<byte>(bytes.AsMemory(0, 16)), out _));
        Assert.False(SoakMessage.TryRead(new ReadOnlySequence<byte>([.. bytes, 0]), out _));
        Assert.False(SoakMessage.TryRead(ReadOnlySequence<byte>.Empty, out _));
    }
}
