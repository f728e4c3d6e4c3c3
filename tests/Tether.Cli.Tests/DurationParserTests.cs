using Tether.Cli.Parsing;

namespace Tether.Cli.Tests;

public class DurationParserTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("30s", 30_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("10", 10_000)]
    [InlineData("0.25", 250)]
    [InlineData("0", 0)]
    [InlineData("0ms", 0)]
    [InlineData(" 5s ", 5_000)]
    [InlineData("5S", 5_000)]
    [InlineData(".5s", 500)]
    [InlineData("1.5ms", 1.5)]
    public void Accepts_common_forms(string text, double expectedMilliseconds)
    {
        Assert.True(DurationParser.TryParse(text, out var value, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), value);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("", "required")]
    [InlineData("   ", "required")]
    [InlineData(null, "required")]
    [InlineData("-5s", "negative")]
    [InlineData("-1", "negative")]
    [InlineData("abc", "not a duration")]
    [InlineData("5x", "not a duration")]
    [InlineData("s", "not a duration")]
    [InlineData("ms", "not a duration")]
    [InlineData("1,5s", "not a duration")]
    [InlineData("1e3", "not a duration")]
    [InlineData("+5s", "not a duration")]
    [InlineData("5 s x", "not a duration")]
    [InlineData("1.2.3s", "not a duration")]
    [InlineData("NaN", "not a duration")]
    [InlineData("Infinity", "not a duration")]
    [InlineData("1000h", "too long")]
    public void Rejects_with_a_reason(string? text, string reason)
    {
        Assert.False(DurationParser.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Error_quotes_the_input_and_gives_examples()
    {
        Assert.False(DurationParser.TryParse("abc", out _, out var error));
        Assert.Equal("'abc' is not a duration (e.g. 250ms, 30s, 1.5s, 2m, 1h)", error);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(250, "250ms")]
    [InlineData(1_500, "1.5s")]
    [InlineData(30_000, "30s")]
    [InlineData(75_000, "75s")]
    [InlineData(120_000, "2m")]
    [InlineData(3_600_000, "1h")]
    [InlineData(0.5, "0.5ms")]
    public void Formats_in_the_syntax_it_parses(double milliseconds, string expected)
    {
        var value = TimeSpan.FromMilliseconds(milliseconds);
        var text = DurationParser.Format(value);
        Assert.Equal(expected, text);
        Assert.True(DurationParser.TryParse(text, out var back, out _));
        Assert.Equal(value, back);
    }
}
