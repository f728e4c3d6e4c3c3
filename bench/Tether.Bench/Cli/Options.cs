using System.CommandLine;
using System.Globalization;
using Tether.Bench.Infra;

namespace Tether.Bench.Cli;

/// <summary>
/// Option factories. Values that --quick changes have no parse-time default: the scenario takes the given value, or
/// the quick default under --quick, or the full default (both shown in help).
/// </summary>
internal static class Options
{
    public static Option<TimeSpan?> Duration(string name, string description, TimeSpan full, TimeSpan quick, string? defaults = null) => new(name)
    {
        Description = $"{description} [default: {defaults ?? Durations.Format(full)}; --quick: {Durations.Format(quick)}]",
        HelpName = "duration",
        CustomParser = result =>
        {
            var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
            if (!Durations.TryParse(token, out var value))
            {
                result.AddError($"{name}: '{token}' is not a duration (e.g. 200ms, 30s, 1.5s, 10m)");
                return null;
            }

            return value;
        },
    };

    public static Option<int?> Int(string name, string description, int full, int quick, int min, int max = int.MaxValue) => new(name)
    {
        Description = full == quick
            ? $"{description} [default: {full.ToString(CultureInfo.InvariantCulture)}]"
            : $"{description} [default: {full.ToString(CultureInfo.InvariantCulture)}; --quick: {quick.ToString(CultureInfo.InvariantCulture)}]",
        HelpName = "n",
        CustomParser = result =>
        {
            var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
            var text = token?.Replace("_", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal);
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            {
                result.AddError($"{name}: '{token}' is not a whole number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
                return null;
            }

            return value;
        },
    };

    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    /// <summary>A comma-separated list of names from <paramref name="allowed"/>; null when not given.</summary>
    public static Option<IReadOnlyList<string>?> List(string name, string description, IReadOnlyList<string> allowed, IReadOnlyList<string> full) => new(name)
    {
        Description = $"{description} Comma-separated, from: {string.Join(", ", allowed)}. [default: {string.Join(",", full)}]",
        HelpName = "names",
        CustomParser = result =>
        {
            var names = result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Select(n => n.ToLowerInvariant())
                .ToList();
            var unknown = names.Where(n => !allowed.Contains(n)).ToList();
            if (unknown.Count > 0 || names.Count == 0)
            {
                result.AddError($"{name}: {(names.Count == 0 ? "no names" : $"unknown {string.Join(", ", unknown)}")}; choose from {string.Join(", ", allowed)}");
                return null;
            }

            return names.Distinct().ToList();
        },
    };

    /// <summary>The given value, else the quick or full default.</summary>
    public static T Pick<T>(T? given, bool quick, T full, T quickValue)
        where T : struct => given ?? (quick ? quickValue : full);
}
