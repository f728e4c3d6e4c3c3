namespace Tether.Protocol.Tests;

/// <summary>Spec 13: the close code table.</summary>
public sealed class CloseCodeTests
{
    /// <summary>Every row of the spec's table: code, wire name, and whether the client reconnects.</summary>
    public static TheoryData<ushort, string, bool> SpecTable => new()
    {
        { 1000, "NORMAL", false },
        { 1001, "GOING_AWAY", true },
        { 1002, "PROTOCOL_ERROR", true },
        { 1003, "UNSUPPORTED_VERSION", false },
        { 1004, "FRAME_TOO_LARGE", true },
        { 1005, "HANDSHAKE_TIMEOUT", true },
        { 1006, "HEARTBEAT_TIMEOUT", true },
        { 1007, "AUTH_FAILED", false },
        { 1008, "SERVER_BUSY", true },
        { 1009, "SLOW_CONSUMER", true },
        { 1010, "REPLACED", false },
        { 1011, "INTERNAL_ERROR", true },
        { 1012, "RATE_LIMITED", true },
        { 1013, "TOO_MANY_CONNECTIONS", true },
        { 1014, "AUTH_EXPIRED", false },
    };

    [Theory]
    [MemberData(nameof(SpecTable))]
    public void Named_code_matches_the_spec_table(ushort code, string wireName, bool reconnects)
    {
        var closeCode = (CloseCode)code;

        Assert.True(Enum.IsDefined(closeCode));
        Assert.Equal(wireName, closeCode.ToWireName());
        Assert.Equal(reconnects, closeCode.AllowsReconnect());
        Assert.Equal(wireName.ToLowerInvariant().Replace('_', '-'), closeCode.ToEventName());
    }

    [Fact]
    public void Enum_has_exactly_the_codes_of_the_spec_table()
    {
        Assert.Equal(SpecTable.Select(row => (ushort)row[0]), Enum.GetValues<CloseCode>().Select(code => (ushort)code));
    }

    [Theory]
    [InlineData(4000)]
    [InlineData(4001)]
    [InlineData(4250)]
    [InlineData(4499)]
    public void Application_codes_4000_to_4499_reconnect(ushort code)
    {
        Assert.True(((CloseCode)code).AllowsReconnect());
        Assert.Equal($"APPLICATION_{code}", ((CloseCode)code).ToWireName());
    }

    [Theory]
    [InlineData(4500)]
    [InlineData(4750)]
    [InlineData(4999)]
    public void Application_codes_4500_to_4999_do_not_reconnect(ushort code)
    {
        Assert.False(((CloseCode)code).AllowsReconnect());
        Assert.Equal($"APPLICATION_{code}", ((CloseCode)code).ToWireName());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(999)]
    [InlineData(1015)]
    [InlineData(1999)]
    [InlineData(3999)]
    [InlineData(5000)]
    [InlineData(65535)]
    public void Unknown_codes_are_treated_like_internal_error(ushort code)
    {
        Assert.Equal(CloseCode.InternalError.AllowsReconnect(), ((CloseCode)code).AllowsReconnect());
        Assert.True(((CloseCode)code).AllowsReconnect());
        Assert.Equal($"UNKNOWN_{code}", ((CloseCode)code).ToWireName());
        Assert.Equal($"unknown-{code}", ((CloseCode)code).ToEventName());
    }
}
