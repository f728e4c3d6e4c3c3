using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Tether.Cli.Parsing;

/// <summary>
/// Text typed on a command line that stands for bytes: UTF-8, with the escapes <c>\n</c>, <c>\r</c>, <c>\t</c>,
/// <c>\\</c> and <c>\xHH</c> (any byte, e.g. <c>\x2c</c> for the comma that separates <c>--listen</c> keys).
/// </summary>
internal static class EscapedText
{
    public const string Escapes = @"\n, \r, \t, \\ or \xHH";

    /// <summary>Decodes <paramref name="text"/>; on failure <paramref name="error"/> says why, quoting the text.</summary>
    public static bool TryDecode(string text, [NotNullWhen(true)] out byte[]? bytes, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        bytes = null;
        var output = new List<byte>(text.Length);
        var literalStart = 0;
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] != '\\')
            {
                i++;
                continue;
            }

            // Literal runs are encoded whole so that a character outside the BMP (a surrogate pair) stays intact.
            output.AddRange(Encoding.UTF8.GetBytes(text[literalStart..i]));
            if (i + 1 == text.Length)
            {
                error = $"'{text}' ends with a lone '\\' (escapes: {Escapes})";
                return false;
            }

            var escape = text[i + 1];
            switch (escape)
            {
                case 'n':
                    output.Add((byte)'\n');
                    i += 2;
                    break;
                case 'r':
                    output.Add((byte)'\r');
                    i += 2;
                    break;
                case 't':
                    output.Add((byte)'\t');
                    i += 2;
                    break;
                case '\\':
                    output.Add((byte)'\\');
                    i += 2;
                    break;
                case 'x':
                    if (i + 4 > text.Length
                        || !byte.TryParse(text.AsSpan(i + 2, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
                    {
                        error = $"'{text}': \\x needs two hex digits, e.g. \\x0a";
                        return false;
                    }

                    output.Add(value);
                    i += 4;
                    break;
                default:
                    error = $"'{text}' has an unknown escape '\\{escape}' (escapes: {Escapes})";
                    return false;
            }

            literalStart = i;
        }

        output.AddRange(Encoding.UTF8.GetBytes(text[literalStart..]));
        bytes = [.. output];
        error = null;
        return true;
    }
}
