using System.Globalization;
using System.Text.Json;
using Tether.Protocol;

namespace Tether.Cli.Conformance;

/// <summary>Frame type names as scenarios write them: the spec's names (HELLO, DATA, ...) or a number for others.</summary>
internal static class FrameNames
{
    public static string Of(byte type) => Enum.IsDefined((FrameType)type)
        ? ((FrameType)type).ToString().ToUpperInvariant()
        : "0x" + type.ToString("x2", CultureInfo.InvariantCulture);

    public static byte Parse(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Number && element.TryGetByte(out var number))
        {
            return number;
        }

        var text = element.ValueKind == JsonValueKind.String ? element.GetString()! : string.Empty;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && byte.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return hex;
        }

        return Enum.TryParse<FrameType>(text, ignoreCase: true, out var type) && Enum.IsDefined(type)
            ? (byte)type
            : throw new ScenarioFileException($"unknown frame type {element.GetRawText()}");
    }
}
