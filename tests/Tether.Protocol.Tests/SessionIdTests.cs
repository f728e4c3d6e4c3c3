namespace Tether.Protocol.Tests;

public sealed class SessionIdTests
{
    [Theory]
    [InlineData("00000000000000000000000000000000")]
    [InlineData("00112233445566778899aabbccddeeff")]
    [InlineData("ffffffffffffffffffffffffffffffff")]
    [InlineData("0000000000000000000000000000000f")]
    [InlineData("f0000000000000000000000000000000")]
    public void Hex_round_trips(string hex)
    {
        Assert.Equal(hex, SessionId.Parse(hex).ToString());
    }

    [Fact]
    public void Hex_parsing_accepts_upper_case_and_prints_lower_case()
    {
        Assert.Equal("00112233445566778899aabbccddeeff", SessionId.Parse("00112233445566778899AABBCCDDEEFF").ToString());
    }

    [Fact]
    public void Wire_bytes_are_in_hex_order()
    {
        var id = SessionId.Parse("00112233445566778899aabbccddeeff");
        var bytes = new byte[ProtocolConstants.SessionIdSize];

        id.Write(bytes);

        Assert.Equal("00112233445566778899aabbccddeeff", Convert.ToHexStringLower(bytes));
        Assert.Equal(id, SessionId.Read(bytes));
        Assert.Equal(new SessionId(0x0011223344556677, 0x8899aabbccddeeff), id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0011223344556677")]
    [InlineData("00112233445566778899aabbccddeef")]
    [InlineData("00112233445566778899aabbccddeeff0")]
    [InlineData("00112233445566778899aabbccddeefg")]
    [InlineData("0x112233445566778899aabbccddeeff")]
    [InlineData(" 0112233445566778899aabbccddeeff")]
    [InlineData("-0112233445566778899aabbccddeeff")]
    public void Malformed_hex_is_a_format_error(string hex)
    {
        Assert.Throws<FormatException>(() => SessionId.Parse(hex));
    }

    [Fact]
    public void None_is_all_zero()
    {
        Assert.True(SessionId.None.IsNone);
        Assert.True(default(SessionId).IsNone);
        Assert.False(new SessionId(0, 1).IsNone);
        Assert.False(new SessionId(1, 0).IsNone);
        Assert.Equal(new string('0', 32), SessionId.None.ToString());
    }

    [Fact]
    public void New_random_ids_are_never_zero_and_do_not_repeat()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => SessionId.NewRandom()).ToList();

        Assert.DoesNotContain(ids, id => id.IsNone);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Equal(id, SessionId.Parse(id.ToString())));
    }
}
