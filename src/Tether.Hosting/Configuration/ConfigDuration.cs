using System.Globalization;

namespace Tether.Hosting.Configuration;

/// <summary>
/// Durations as operators write them in configuration: <c>250ms</c>, <c>30s</c>, <c>2m</c>, <c>1h</c>, a bare number of
/// seconds, or .NET's <c>00:00:30</c> (what the standard binder accepts, so existing files keep working).
/// </summary>
internal static class ConfigDuration
{
    public const string Examples = "e.g. 250ms, 30s, 2m, 1h or 00:00:30";

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        var trimmed = text.Trim();
        if (trimmed.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
        }

        var (number, milliseconds) = trimmed switch
        {
            _ when trimmed.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (trimmed[..^2], 1d),
            _ when trimmed.EndsWith('s') || trimmed.EndsWith('S') => (trimmed[..^1], 1_000d),
            _ when trimmed.EndsWith('m') || trimmed.EndsWith('M') => (trimmed[..^1], 60_000d),
            _ when trimmed.EndsWith('h') || trimmed.EndsWith('H') => (trimmed[..^1], 3_600_000d),
            _ => (trimmed, 1_000d),
        };
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            || !double.IsFinite(amount)
            || amount * milliseconds > int.MaxValue)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(amount * milliseconds);
        return true;
    }
}
