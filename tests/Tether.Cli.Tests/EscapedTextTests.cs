using System.Text;
using Tether.Cli.Parsing;

namespace Tether.Cli.Tests;

public class EscapedTextTests
{
    [Theory]
    [InlineData("PING", "50 49 4E 47")]
    [InlineData(@"PING\n", "50 49 4E 47 0A")]
    [InlineData(@"\r\n", "0D 0A")]
    [InlineData(@"a\tb", "61 09 62")]
    [InlineData(@"\\", "5C")]
    [InlineData(@"a\\nb", "61 5C 6E 62")]
    [InlineData(@"\x00\xff\x2C\xAb", "00 FF 2C AB")]
    [InlineData(@"x\x41y", "78 41 79")]
    [InlineData("é", "C3 A9")]
    [InlineData("\U0001F600", "F0 9F 98 80")]
    [InlineData(@"\x41é\x42", "41 C3 A9 42")]
    [InlineData("", "")]
    public void Decodes_text_and_escapes_to_bytes(string text, string expectedHex)
    {
        Assert.True(EscapedText.TryDecode(text, out var bytes, out var error), error);
        Assert.Equal(expectedHex, string.Join(" ", bytes.Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture))));
        Assert.Null(error);
    }

    [Theory]
    [InlineData(@"abc\", @"'abc\' ends with a lone '\' (escapes: \n, \r, \t, \\ or \xHH)")]
    [InlineData(@"a\qb", @"'a\qb' has an unknown escape '\q' (escapes: \n, \r, \t, \\ or \xHH)")]
    [InlineData(@"\N", @"'\N' has an unknown escape '\N' (escapes: \n, \r, \t, \\ or \xHH)")]
    [InlineData(@"\x4", @"'\x4': \x needs two hex digits, e.g. \x0a")]
    [InlineData(@"\x", @"'\x': \x needs two hex digits, e.g. \x0a")]
    [InlineData(@"\xZZ", @"'\xZZ': \x needs two hex digits, e.g. \x0a")]
    [InlineData(@"\x+1", @"'\x+1': \x needs two hex digits, e.g. \x0a")]
    [InlineData(@"\x 1", @"'\x 1': \x needs two hex digits, e.g. \x0a")]
    public void Rejects_bad_escapes_naming_the_text(string text, string expected)
    {
        Assert.False(EscapedText.TryDecode(text, out var bytes, out var error));
        Assert.Null(bytes);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Plain_text_is_utf8()
    {
        Assert.True(EscapedText.TryDecode("grüße", out var bytes, out _));
        Assert.Equal(Encoding.UTF8.GetBytes("grüße"), bytes);
    }
}
