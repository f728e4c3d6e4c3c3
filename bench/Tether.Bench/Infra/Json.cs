using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tether.Bench.Infra;

/// <summary>Tolerant readers for the load generator's JSON events: a missing or differently typed field is null, not an error.</summary>
internal static class Json
{
    /// <summary>The first of <paramref name="names"/> present as a number (or a numeric string).</summary>
    public static double? Number(JsonNode? node, params string[] names)
    {
        if (node is not JsonObject obj)
        {
            return null;
        }

        foreach (var name in names)
        {
            if (obj[name] is JsonValue value)
            {
                switch (value.GetValueKind())
                {
                    case JsonValueKind.Number:
                        return value.GetValue<double>();
                    case JsonValueKind.String when double.TryParse(value.GetValue<string>(), System.Globalization.NumberStyles.Float,
                        System.Globalization.CultureInfo.InvariantCulture, out var parsed):
                        return parsed;
                }
            }
        }

        return null;
    }

    /// <summary>The node itself as a number (an array element), or null.</summary>
    public static double? Number(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? value.GetValue<double>() : null;

    public static long? Long(JsonNode? node, params string[] names) => Number(node, names) is { } d ? (long)d : null;

    public static JsonArray? Array(JsonNode? node, params string[] names)
    {
        if (node is JsonObject obj)
        {
            foreach (var name in names)
            {
                if (obj[name] is JsonArray array)
                {
                    return array;
                }
            }
        }

        return null;
    }

    public static JsonObject? Object(JsonNode? node, params string[] names)
    {
        if (node is JsonObject obj)
        {
            foreach (var name in names)
            {
                if (obj[name] is JsonObject found)
                {
                    return found;
                }
            }
        }

        return null;
    }

    /// <summary>A number as a JSON value, or null for a missing or not-a-number value (JSON has no NaN).</summary>
    public static JsonNode? Value(double? value) =>
        value is { } d && !double.IsNaN(d) && !double.IsInfinity(d) ? JsonValue.Create(Math.Round(d, 6)) : null;
}
