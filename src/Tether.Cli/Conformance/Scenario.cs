using System.Text.Json;

namespace Tether.Cli.Conformance;

/// <summary>One scripted exchange of the scenario file (docs/conformance.md describes the format).</summary>
internal sealed record Scenario(
    string Name,
    ScenarioRole Role,
    string Description,
    bool AutoPong,
    IReadOnlyList<string> Ignore,
    IReadOnlyList<string> Endpoints,
    IReadOnlyList<string> ClientArgs,
    IReadOnlyList<JsonElement> Steps);
