using System.Globalization;

namespace Tether.Bench.Infra;

/// <summary>Durations on the command line and in load-generator arguments: <c>250ms</c>, <c>30s</c>, <c>1.5s</c>, <c>10m</c>, <c>1h</c>.</summary>
internal static class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        (string number, double scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (text[..^2], 1.0),
            _ when text.EndsWith('s') || text.EndsWith('S') => (text[..^1], 1000.0),
            _ when text.EndsWith('m') || text.EndsWith('M') => (text[..^1], 60_000.0),
            _ when text.EndsWith('h') || text.EndsWith('H') => (text[..^1], 3_600_000.0),
            _ => (text, 1000.0),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var amount)
            || double.IsNaN(amount) || double.IsInfinity(amount) || amount < 0 || amount * scale > TimeSpan.MaxValue.TotalMilliseconds / 2)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(amount * scale);
        return true;
    }

    /// <summary>The shortest exact form the load generator and the tether command line both read: whole minutes as <c>10m</c>, whole seconds as <c>30s</c>, else milliseconds.</summary>
    public static string Format(TimeSpan value)
    {
        var milliseconds = (long)Math.Round(value.TotalMilliseconds);
        if (milliseconds > 0 && milliseconds % 60_000 == 0)
        {
            return (milliseconds / 60_000).ToString(CultureInfo.InvariantCulture) + "m";
        }

        return milliseconds % 1000 == 0
            ? (milliseconds / 1000).ToString(CultureInfo.InvariantCulture) + "s"
            : milliseconds.ToString(CultureInfo.InvariantCulture) + "ms";
    }
}
