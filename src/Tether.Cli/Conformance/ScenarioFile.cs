using System.Text.Json;

namespace Tether.Cli.Conformance;

/// <summary>
/// Reads the scenario file: docs/conformance-scenarios.json, embedded in the CLI, or another file given with
/// --scenarios. Every step is checked for a known op here, so a typo fails the run before anything is played.
/// </summary>
internal static class ScenarioFile
{
    public const string ResourceName = "Tether.Cli.Conformance.conformance-scenarios.json";

    private static readonly HashSet<string> Ops =
    [
        "connect", "accept", "expectNoAccept", "send", "expect", "expectClose", "expectEnd", "expectSilence",
        "disconnect", "sleep", "stdin", "closeStdin", "expectEvent", "expectExit",
    ];

    private static readonly HashSet<string> DefaultIgnore = ["PING", "PONG"];

    public static IReadOnlyList<Scenario> LoadEmbedded()
    {
        using var stream = typeof(ScenarioFile).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the scenario file is not embedded ({ResourceName})");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }

    public static IReadOnlyList<Scenario> Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioFileException($"cannot read {path}: {ex.Message}");
        }

        return Parse(text);
    }

    public static IReadOnlyList<Scenario> Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new ScenarioFileException($"the scenario file is not valid JSON: {ex.Message}");
        }

        var root = document.RootElement;
        if (!root.TryGetProperty("scenarios", out var list) || list.ValueKind != JsonValueKind.Array)
        {
            throw new ScenarioFileException("the scenario file has no \"scenarios\" array");
        }

        var defaultClientArgs = Strings(root, "defaultClientArgs");
        var scenarios = new List<Scenario>();
        foreach (var item in list.EnumerateArray())
        {
            var name = item.TryGetProperty("name", out var n) ? n.GetString() ?? string.Empty : string.Empty;
            if (name.Length == 0 || scenarios.Any(s => s.Name == name))
            {
                throw new ScenarioFileException($"a scenario has no name or a duplicate one: \"{name}\"");
            }

            var role = item.TryGetProperty("role", out var r) ? r.GetString() : null;
            var steps = item.TryGetProperty("steps", out var s) && s.ValueKind == JsonValueKind.Array ? s.EnumerateArray().ToList() : [];
            for (var i = 0; i < steps.Count; i++)
            {
                var op = steps[i].TryGetProperty("op", out var o) ? o.GetString() : null;
                if (op is null || !Ops.Contains(op))
                {
                    throw new ScenarioFileException($"{name}: step {i + 1} has an unknown op \"{op}\"");
                }
            }

            scenarios.Add(new Scenario(
                name,
                role switch
                {
                    "server" => ScenarioRole.Server,
                    "client" => ScenarioRole.Client,
                    _ => throw new ScenarioFileException($"{name}: role must be \"server\" or \"client\""),
                },
                item.TryGetProperty("description", out var d) ? d.GetString() ?? string.Empty : string.Empty,
                !item.TryGetProperty("autoPong", out var pong) || pong.GetBoolean(),
                item.TryGetProperty("ignore", out _) ? Strings(item, "ignore") : [.. DefaultIgnore],
                item.TryGetProperty("endpoints", out _) ? Strings(item, "endpoints") : ["main"],
                [.. defaultClientArgs, .. Strings(item, "clientArgs")],
                steps));
        }

        // The elements stay valid as long as the document: it lives as long as the process, like the scenarios.
        return scenarios;
    }

    private static List<string> Strings(JsonElement element, string name) =>
        element.TryGetProperty(name, out var array) ? array.EnumerateArray().Select(e => e.GetString() ?? string.Empty).ToList() : [];
}
