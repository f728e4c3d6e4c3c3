using System.Text.Json.Serialization;

namespace Tether.Admin;

/// <summary>The JSON of the probes, generated at build time.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(ProbeReport))]
internal sealed partial class OperationsJsonContext : JsonSerializerContext;
