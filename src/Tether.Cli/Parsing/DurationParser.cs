using System.Globalization;

namespace Tether.Cli.Parsing;

/// <summary>
/// Durations as people type them on a command line: <c>250ms</c>, <c>30s</c>, <c>1.5s</c>, <c>2m</c>, <c>1h</c>, or a
/// bare number of seconds.
/// </summary>
internal static class DurationParser
{
    public const string Examples = "e.g. 250ms, 30s, 1.5s, 2m, 1h";

    // Timers and the wire's u32 millisecond fields both stop well short of TimeSpan.MaxValue; int.MaxValue ms is
    // the largest value every consumer accepts.
    private static readonly TimeSpan Max = TimeSpan.FromMilliseconds(int.MaxValue);

    private static readonly (string Suffix, double Milliseconds)[] Units =
    [
        ("ms", 1),
        ("s", 1_000),
        ("m", 60_000),
        ("h", 3_600_000),
    ];

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says why, without naming an option.</summary>
    public static bool TryParse(string? text, out TimeSpan value, out string? error)
    {
        value = default;
        var trimmed = text?.Trim() ?? string.Empty;
        if (trimmed.Length == 0)
        {
            error = $"a duration is required ({Examples})";
            return false;
        }

        if (trimmed[0] == '-')
        {
            error = $"'{trimmed}' is negative; durations must be zero or more";
            return false;
        }

        var (number, multiplier) = SplitUnit(trimmed);
        // AllowDecimalPoint only: no signs, exponents, thousands separators or spaces inside the number.
        if (number.Length == 0
            || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            || !double.IsFinite(amount))
        {
            error = $"'{trimmed}' is not a duration ({Examples})";
            return false;
        }

        var milliseconds = amount * multiplier;
        if (milliseconds > Max.TotalMilliseconds)
        {
            error = $"'{trimmed}' is too long (at most {Format(Max)})";
            return false;
        }

        value = TimeSpan.FromMilliseconds(milliseconds);
        error = null;
        return true;
    }

    /// <summary>A short display form in the syntax <see cref="TryParse"/> accepts, e.g. <c>30s</c>, <c>250ms</c>, <c>1.5s</c>.</summary>
    public static string Format(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0s";
        }

        // Whole hours, minutes or seconds read best; only then fall back to fractions.
        for (var i = Units.Length - 1; i >= 1; i--)
        {
            var amount = value.TotalMilliseconds / Units[i].Milliseconds;
            if (amount >= 1 && amount == Math.Floor(amount))
            {
                return amount.ToString("0", CultureInfo.InvariantCulture) + Units[i].Suffix;
            }
        }

        return value.TotalMilliseconds >= 1_000
            ? value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s"
            : value.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
    }

    private static (string Number, double Multiplier) SplitUnit(string text)
    {
        // "ms" must be tried before "m" and "s", so look at the longest suffix first.
        foreach (var (suffix, milliseconds) in Units.OrderByDescending(u => u.Suffix.Length))
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return (text[..^suffix.Length].TrimEnd(), milliseconds);
            }
        }

        return (text, 1_000);
    }
}
