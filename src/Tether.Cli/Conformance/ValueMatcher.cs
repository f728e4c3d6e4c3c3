using System.Globalization;
using System.Text.Json;

namespace Tether.Cli.Conformance;

/// <summary>
/// Compares one expected value from a scenario with what was received. Expected values are literals, <c>"$name"</c>
/// (captured the first time, compared after), <c>{"min": a, "max": b}</c>, <c>{"not": value}</c>,
/// <c>{"pattern": N}</c> (the <see cref="PatternPayload"/> text of N characters) or <c>{"absent": true}</c>.
/// Actual values are strings, decimals, booleans, string lists, or null when the field is absent.
/// </summary>
internal static class ValueMatcher
{
    /// <summary>Null when <paramref name="actual"/> matches; otherwise what was expected, for the failure line.</summary>
    public static string? Mismatch(JsonElement expected, object? actual, ScenarioVariables variables)
    {
        if (ScenarioVariables.IsReference(expected, out var name))
        {
            if (variables.TryGet(name, out var bound))
            {
                return Same(bound, actual) ? null : $"${name} = {Show(bound)}";
            }

            if (actual is null)
            {
                return $"a value to capture as ${name}";
            }

            variables.Set(name, actual);
            return null;
        }

        if (expected.ValueKind == JsonValueKind.Null)
        {
            return actual is null ? null : "null";
        }

        if (expected.ValueKind == JsonValueKind.Object)
        {
            return ObjectMismatch(expected, actual, variables);
        }

        var literal = Literal(expected, variables);
        return Same(literal, actual) ? null : Show(literal);
    }

    public static string Show(object? value) => value switch
    {
        null => "absent",
        string text => JsonSerializer.Serialize(text.Length > 80 ? text[..77] + "..." : text),
        bool flag => flag ? "true" : "false",
        decimal number => number.ToString(CultureInfo.InvariantCulture),
        IReadOnlyList<string> list => "[" + string.Join(", ", list.Select(Show)) + "]",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "?",
    };

    private static string? ObjectMismatch(JsonElement expected, object? actual, ScenarioVariables variables)
    {
        if (expected.TryGetProperty("absent", out _))
        {
            return actual is null ? null : "absent";
        }

        if (expected.TryGetProperty("pattern", out var pattern))
        {
            var text = PatternPayload.Text((int)variables.Number(pattern, "pattern"));
            return actual is string s && s == text ? null : $"the {text.Length}-character pattern";
        }

        if (expected.TryGetProperty("not", out var excluded))
        {
            return actual is not null && Mismatch(excluded, actual, variables) is not null ? null : $"not {Show(Literal(excluded, variables))}";
        }

        var hasMin = expected.TryGetProperty("min", out var minElement);
        var hasMax = expected.TryGetProperty("max", out var maxElement);
        if (!hasMin && !hasMax)
        {
            throw new ScenarioFileException($"cannot match with {expected.GetRawText()}: use min/max, not, pattern or absent");
        }

        var min = hasMin ? variables.Number(minElement, "min") : decimal.MinValue;
        var max = hasMax ? variables.Number(maxElement, "max") : decimal.MaxValue;
        var range = (hasMin, hasMax) switch
        {
            (true, true) => $"{min}..{max}",
            (true, false) => $">= {min}",
            _ => $"<= {max}",
        };
        return actual is decimal number && number >= min && number <= max ? null : range;
    }

    private static object Literal(JsonElement element, ScenarioVariables variables) => element.ValueKind switch
    {
        JsonValueKind.String when ScenarioVariables.IsReference(element, out var name) => variables.Get(name),
        JsonValueKind.String => element.GetString()!,
        JsonValueKind.Number => element.GetDecimal(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Array => element.EnumerateArray().Select(e => variables.Text(e, "list item")).ToList(),
        _ => throw new ScenarioFileException($"cannot compare with {element.GetRawText()}"),
    };

    private static bool Same(object expected, object? actual) => (expected, actual) switch
    {
        (_, null) => false,
        (decimal a, decimal b) => a == b,
        (string a, string b) => string.Equals(a, b, StringComparison.Ordinal),
        (bool a, bool b) => a == b,
        (IReadOnlyList<string> a, IReadOnlyList<string> b) => a.SequenceEqual(b, StringComparer.Ordinal),
        _ => false,
    };
}
