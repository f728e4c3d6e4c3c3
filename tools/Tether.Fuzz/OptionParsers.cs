using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Tether.Cli.Parsing;

namespace Tether.Fuzz;

/// <summary>
/// Options whose parsers report a bad value in one line naming the option, e.g.
/// <c>--duration: 'long' is not a duration (e.g. 250ms, 30s, 1.5s, 2m, 1h)</c>.
/// </summary>
internal static class OptionParsers
{
    /// <summary>A duration of more than zero; absent (null) when not given, shown in help with <paramref name="defaultValue"/>.</summary>
    public static Option<TimeSpan?> Duration(string name, string description, TimeSpan defaultValue) => new(name)
    {
        Description = $"{description} (250ms, 30s, 2m, 1h; a number alone is seconds) [default: {DurationParser.Format(defaultValue)}]",
        HelpName = "duration",
        CustomParser = result =>
        {
            if (!DurationParser.TryParse(SingleToken(result), out var parsed, out var error))
            {
                result.AddError($"{name}: {error}");
                return null;
            }

            if (parsed == TimeSpan.Zero)
            {
                result.AddError($"{name}: must be more than zero");
                return null;
            }

            return parsed;
        },
    };

    /// <summary>A whole number of at least <paramref name="min"/> with a default, which help shows.</summary>
    public static Option<int> Int(string name, string description, int defaultValue, int min, string helpName = "n") => new(name)
    {
        Description = description,
        HelpName = helpName,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => ParseInt(result, name, min) ?? defaultValue,
    };

    /// <summary>A whole number of at least <paramref name="min"/> that may be absent (null).</summary>
    public static Option<int?> OptionalInt(string name, string description, int min) => new(name)
    {
        Description = description,
        HelpName = "n",
        CustomParser = result => ParseInt(result, name, min),
    };

    private static int? ParseInt(ArgumentResult result, string name, int min)
    {
        var token = SingleToken(result);
        if (!int.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            result.AddError($"{name}: '{token}' is not a whole number");
            return null;
        }

        if (value < min)
        {
            result.AddError($"{name}: must be at least {min.ToString(CultureInfo.InvariantCulture)}, not {value.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        return value;
    }

    private static string? SingleToken(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
}
