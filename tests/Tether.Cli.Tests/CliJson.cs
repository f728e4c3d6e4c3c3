using System.Text.Json;

namespace Tether.Cli.Tests;

/// <summary>Reading the one-JSON-object-per-line output of <c>tether connect --json</c> and <c>tether proxy --json</c>.</summary>
internal static class CliJson
{
    /// <summary>The <c>event</c> of a JSON line; null for a line that is not JSON.</summary>
    public static string? Event(string line) => line.StartsWith('{') ? Parse(line).GetProperty("event").GetString() : null;

    public static JsonElement Parse(string line)
    {
        using var document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }
}
