using System.Text;
using System.Text.Unicode;

namespace Tether.Cli.Output;

/// <summary>How a received message is shown: as UTF-8 text when it is valid UTF-8, as hex otherwise.</summary>
internal static class MessageText
{
    public static bool IsText(ReadOnlySpan<byte> message) => Utf8.IsValid(message);

    /// <summary>The message as text; invalid sequences become U+FFFD (pair it with <see cref="ToHex"/> when not <see cref="IsText"/>).</summary>
    public static string ToText(ReadOnlySpan<byte> message) => Encoding.UTF8.GetString(message);

    public static string ToHex(ReadOnlySpan<byte> message) => Convert.ToHexStringLower(message);
}
