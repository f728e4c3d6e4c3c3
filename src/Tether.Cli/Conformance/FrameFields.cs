using System.Text;
using System.Text.Json;
using Tether.Protocol;

namespace Tether.Cli.Conformance;

/// <summary>The fields of a typed frame in a scenario, read with defaults and checked against the names the type has.</summary>
internal sealed class FrameFields
{
    private readonly JsonElement _frame;
    private readonly ScenarioVariables _variables;

    public FrameFields(JsonElement frame, ScenarioVariables variables)
    {
        _frame = frame;
        _variables = variables;
    }

    /// <summary>Rejects a field the frame type does not have: a typo would otherwise silently send a default.</summary>
    public void Allow(params string[] names)
    {
        foreach (var property in _frame.EnumerateObject())
        {
            if (property.Name is not ("type" or "flags") && !names.Contains(property.Name))
            {
                throw new ScenarioFileException($"field \"{property.Name}\" is not one of {string.Join(", ", names)}");
            }
        }
    }

    public bool Has(string name) => _frame.TryGetProperty(name, out _);

    public ulong UInt64(string name, ulong fallback) =>
        _frame.TryGetProperty(name, out var value) ? (ulong)_variables.Number(value, name) : fallback;

    public uint UInt32(string name, uint fallback) =>
        _frame.TryGetProperty(name, out var value) ? (uint)_variables.Number(value, name) : fallback;

    public bool Bool(string name, bool fallback) =>
        _frame.TryGetProperty(name, out var value) ? value.GetBoolean() : fallback;

    public string Text(string name, string fallback) =>
        _frame.TryGetProperty(name, out var value) ? _variables.Text(value, name) : fallback;

    public SessionId Session(string name) =>
        _frame.TryGetProperty(name, out var value) ? SessionId.Parse(_variables.Text(value, name)) : SessionId.None;

    /// <summary>ALTERNATE_ENDPOINT extension items, one per "host:port" in <c>alternateEndpoints</c>.</summary>
    public IReadOnlyList<ExtensionItem> Alternates() => _frame.TryGetProperty("alternateEndpoints", out var list)
        ? list.EnumerateArray()
            .Select(e => new ExtensionItem(ProtocolConstants.AlternateEndpointExtension, Encoding.UTF8.GetBytes(_variables.Text(e, "alternateEndpoints"))))
            .ToList()
        : [];
}
