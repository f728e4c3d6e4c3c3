using System.Text.Json;

namespace Tether.Cli.Conformance;

/// <summary>One JSON event line of a client program, its fields as the matcher compares them.</summary>
internal sealed record ClientEvent(long Timestamp, string Name, IReadOnlyDictionary<string, object?> Fields, string Line)
{
    /// <summary>Null when the line is not a JSON object with an "event" string.</summary>
    public static ClientEvent? Parse(long timestamp, string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("event", out var name) || name.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            var fields = new Dictionary<string, object?>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                fields[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Number => property.Value.GetDecimal(),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.Null => null,
                    _ => property.Value.GetRawText(),
                };
            }

            return new ClientEvent(timestamp, name.GetString()!, fields, line);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
