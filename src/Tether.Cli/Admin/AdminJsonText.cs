using System.Text.Json;

namespace Tether.Cli.Admin;

/// <summary>Request bodies for the admin API, written with a JSON writer so that any text is escaped right.</summary>
internal static class AdminJsonText
{
    public static string Message(string text, bool reliable = false, bool waitForAck = false)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("data", text);
            if (reliable)
            {
                writer.WriteBoolean("reliable", true);
            }

            if (waitForAck)
            {
                writer.WriteBoolean("waitForAck", true);
            }

            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    public static string? Text(this JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public static int? Number(this JsonElement body, string name) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : null;
}
